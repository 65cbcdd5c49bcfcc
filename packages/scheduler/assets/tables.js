// The tabular panels: workers, failures, event log.
import { el, fmtAge, fmtBytes, fmtTime, workerLink } from './format.js';

/** `ws://host:port` → `host:port` */
function hostPort(address) {
  return String(address || '').replace(/^[a-z]+:\/\//, '');
}

function memoryCell(w) {
  if (!w.memoryLimit) return el('td', { class: 'mem' }, fmtBytes(w.rss));
  const frac = Math.min(1, w.rss / w.memoryLimit);
  const level = frac > 0.9 ? 'high' : frac > 0.7 ? 'mid' : 'low';
  return el('td', { class: 'mem' },
    el('div', { class: 'membar', title: `${(frac * 100).toFixed(0)}% of the memory limit` },
      el('div', { class: `fill ${level}`, style: `width:${(frac * 100).toFixed(1)}%` }),
      el('span', {}, `${fmtBytes(w.rss)} / ${fmtBytes(w.memoryLimit)}`)));
}

/** Workers: live ones first (by name), then gone ones, greyed and marked "gone". */
export function renderWorkers(container, workers, now) {
  const sorted = workers.slice().sort((a, b) => Number(b.alive) - Number(a.alive) || a.name.localeCompare(b.name, undefined, { numeric: true }));
  const head = el('tr', {}, ...['name', 'address', 'host', 'threads', 'CPU', 'memory (RSS / limit)', 'executing', 'queued', 'results', 'stored', 'heartbeat'].map((h) => el('th', {}, h)));
  const rows = sorted.map((w) =>
    el('tr', { class: w.alive ? 'alive' : 'gone', 'data-worker': w.name },
      el('td', {}, el('i', { class: `dot ${w.alive ? 'up' : 'down'}` }), workerLink(w.name), w.alive ? null : el('span', { class: 'badge gone' }, 'gone')),
      el('td', { class: 'mono' }, hostPort(w.address)),
      el('td', {}, w.host),
      el('td', { class: 'num' }, w.nthreads),
      el('td', { class: 'num cpu' }, w.alive ? `${Math.round(w.cpu)}%` : '–'),
      memoryCell(w),
      el('td', { class: 'num executing' }, w.alive ? w.executing : '–'),
      el('td', { class: 'num queued' }, w.alive ? w.queued : '–'),
      el('td', { class: 'num stored' }, w.stored),
      el('td', { class: 'num' }, fmtBytes(w.storedBytes)),
      el('td', { class: 'num age' }, w.alive ? `${fmtAge(now - w.lastSeen)} ago` : `gone ${fmtAge(now - w.lastSeen)} ago`)));
  container.replaceChildren(rows.length
    ? el('table', { class: 'grid' }, el('thead', {}, head), el('tbody', {}, ...rows))
    : el('p', { class: 'muted empty' }, 'No workers connected yet.'));
}

/** Failures: newest first, each with its exception, worker, retries and remote stack. */
export function renderFailures(container, failures) {
  if (!failures.length) {
    container.replaceChildren(el('p', { class: 'muted empty' }, 'No failures.'));
    return;
  }
  const items = failures.slice().sort((a, b) => b.time - a.time).slice(0, 200).map((f) =>
    el('div', { class: `failure ${f.kind === 'skipped' ? 'skipped' : ''}`, 'data-key': f.key },
      el('div', { class: 'fhead' },
        el('span', { class: 'fkey mono' }, f.key),
        el('span', { class: 'badge' }, f.kind),
        el('span', { class: 'fexc' }, `${f.name}: ${f.message}`)),
      el('div', { class: 'fmeta muted' },
        `${fmtTime(f.time)} · worker ${f.worker || '–'} · retries used ${f.retriesUsed ?? 0}`),
      f.stack ? el('pre', { class: 'stack' }, f.stack) : null));
  container.replaceChildren(...items);
}

/** Event log: newest first. */
export function renderLog(container, log) {
  const items = log.slice(-200).reverse().map((e) =>
    el('div', { class: `log-entry kind-${e.kind}` }, el('span', { class: 'mono muted' }, fmtTime(e.time)), el('span', { class: 'badge' }, e.kind), el('span', {}, e.text)));
  container.replaceChildren(...(items.length ? items : [el('p', { class: 'muted empty' }, 'Nothing yet.')]));
}
