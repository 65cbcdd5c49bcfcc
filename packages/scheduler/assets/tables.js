// The tabular panels: workers, failures, event log.
import { el, fmtBytes, fmtTime, workerLink, workerLinkTitle } from './format.js';
import { labelOf, logParts } from './worker-labels.js';
import { heartbeatAge, workerStatus } from './worker-status.js';

/** `ws://host:port` → `host:port` */
function hostPort(address) {
  return String(address || '').replace(/^[a-z]+:\/\//, '');
}

/** Most gone workers listed (the most recently gone); older ones are left out. */
export const MAX_GONE_SHOWN = 10;

const WORKER_COLUMNS = [
  ['name', 'the worker\'s name (with its id where workers share a name); a gone one is greyed and marked gone'],
  ['address', 'where it listens for peers (host:port)'],
  ['host', 'the machine it runs on'],
  ['threads', 'tasks it runs at once'],
  ['CPU', 'CPU use of its process at the last heartbeat (100% = one core)'],
  ['memory (RSS / limit)', 'resident memory of its process against its memory limit'],
  ['executing', 'tasks running on it now'],
  ['queued', 'tasks assigned to it, not started yet'],
  ['results', 'results it holds'],
  ['stored', 'bytes of the results it holds'],
  ['heartbeat', 'time since its last heartbeat'],
];

/** Sets a node's text only when it differs, so an unchanged cell costs no DOM mutation. */
function setText(node, text) {
  const s = String(text);
  if (node.textContent !== s) node.textContent = s;
}

/**
 * Workers: live ones first (by name), then at most {@link MAX_GONE_SHOWN} gone ones, greyed,
 * marked "gone", with no CPU, memory or task figures (they described a process that is gone).
 * Rows are kept per worker and only the cells that changed are written.
 */
export class WorkersTable {
  constructor(container) {
    this.container = container;
    this.rows = new Map();
    this.tbody = el('tbody', {});
    this.table = el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...WORKER_COLUMNS.map(([h, tip]) => el('th', { title: tip }, h)))), this.tbody);
    this.empty = el('p', { class: 'muted empty' }, 'No workers connected yet.');
    container.replaceChildren(this.empty);
    this.order = '';
  }

  /** `labels`: what each worker is called, by id (worker-labels.js): names told apart. */
  update(workers, now, labels = new Map()) {
    const alive = workers.filter((w) => w.alive).sort(byName);
    const gone = workers.filter((w) => !w.alive).sort((a, b) => b.lastSeen - a.lastSeen).slice(0, MAX_GONE_SHOWN);
    const shown = alive.concat(gone);
    const ids = new Set(shown.map((w) => w.id));
    for (const id of this.rows.keys()) if (!ids.has(id)) this.rows.delete(id);
    for (const w of shown) this.fill(this.rowFor(w), w, now, labels.get(w.id) ?? w.name);
    const order = shown.map((w) => w.id).join('\n');
    if (order !== this.order) {
      this.order = order;
      this.tbody.replaceChildren(...shown.map((w) => this.rows.get(w.id).tr));
      this.container.replaceChildren(shown.length ? el('div', { class: 'scroll-x' }, this.table) : this.empty);
    }
    const hidden = workers.length - shown.length;
    this.container.dataset.goneHidden = String(hidden);
  }

  /** Only the heartbeat ages move with time alone. */
  tick(workers, now) {
    for (const w of workers) {
      const r = this.rows.get(w.id);
      if (r) setText(r.age, heartbeatAge(w, now));
    }
  }

  rowFor(w) {
    let r = this.rows.get(w.id);
    if (r) return r;
    const td = (cls) => el('td', { class: cls });
    r = {
      tr: el('tr', { 'data-worker': w.name }),
      dot: el('i', { class: 'dot' }), badge: el('span', { class: 'badge gone' }, 'gone'),
      leaving: el('span', { class: 'badge closing', 'data-status': '' }),
      address: td('mono'), host: td(''), threads: td('num'), cpu: td('num cpu'), mem: td('mem'),
      executing: td('num executing'), queued: td('num queued'), stored: td('num stored'), bytes: td('num'), age: td('num age'),
      memKey: '',
    };
    r.link = workerLink(w.id, w.name);
    r.nameCell = el('td', {}, r.dot, r.link);
    r.tr.append(r.nameCell, r.address, r.host, r.threads, r.cpu, r.mem, r.executing, r.queued, r.stored, r.bytes, r.age);
    this.rows.set(w.id, r);
    return r;
  }

  fill(r, w, now, label) {
    // A worker of the same name may join later: the label then gains the id.
    setText(r.link, label);
    // A row is kept by id, and a restarted scheduler hands its ids out again (w1, w2, … by
    // registration): the same id may now be another worker, whose name the row must carry.
    if (r.tr.dataset.worker !== w.name) {
      r.tr.dataset.worker = w.name;
      r.link.title = workerLinkTitle(w.name);
    }
    const cls = w.alive ? 'alive' : 'gone';
    if (r.tr.className !== cls) {
      r.tr.className = cls;
      r.dot.className = `dot ${w.alive ? 'up' : 'down'}`;
      if (w.alive) r.badge.remove();
      else r.nameCell.append(r.badge);
    }
    // A worker leaving (retiring, stopped) says so beside its name until it is gone.
    const leaving = w.alive && w.closing ? workerStatus(w) : '';
    if (r.leaving.dataset.status !== leaving) {
      r.leaving.dataset.status = leaving;
      r.leaving.textContent = leaving;
      if (leaving) r.nameCell.append(r.leaving);
      else r.leaving.remove();
    }
    setText(r.address, hostPort(w.address));
    setText(r.host, w.host);
    setText(r.threads, w.nthreads);
    setText(r.cpu, w.alive ? `${Math.round(w.cpu)}%` : '–');
    setText(r.executing, w.alive ? w.executing : '–');
    setText(r.queued, w.alive ? w.queued : '–');
    setText(r.stored, w.alive ? w.stored : '–');
    setText(r.bytes, w.alive ? fmtBytes(w.storedBytes) : '–');
    setText(r.age, heartbeatAge(w, now));
    const memKey = w.alive ? `${w.rss}/${w.memoryLimit}` : 'gone';
    if (memKey !== r.memKey) {
      r.memKey = memKey;
      r.mem.replaceChildren(...memoryCell(w));
    }
  }
}

function byName(a, b) {
  return a.name.localeCompare(b.name, undefined, { numeric: true });
}

/** The memory cell's content: a bar of RSS against the limit; nothing for a gone worker. */
function memoryCell(w) {
  if (!w.alive) return ['–'];
  if (!w.memoryLimit) return [fmtBytes(w.rss)];
  const frac = Math.min(1, w.rss / w.memoryLimit);
  const level = frac > 0.9 ? 'high' : frac > 0.7 ? 'mid' : 'low';
  return [el('div', { class: 'membar', title: `${(frac * 100).toFixed(0)}% of the memory limit` },
    el('div', { class: `fill ${level}`, style: `width:${(frac * 100).toFixed(1)}%` }),
    el('span', {}, `${fmtBytes(w.rss)} / ${fmtBytes(w.memoryLimit)}`))];
}

/** Failures: newest first, each with its exception, worker, retries and remote stack. */
export function renderFailures(container, failures, labels = new Map()) {
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
        `${fmtTime(f.time)} · worker `, f.workerId ? workerLink(f.workerId, labelOf(labels, f.workerId)) : (f.worker || '–'), ` · retries used ${f.retriesUsed ?? 0}`,
        typeof f.code === 'string' ? ` · code ${f.code}` : ''),
      f.stack ? el('pre', { class: 'stack' }, f.stack) : null));
  container.replaceChildren(...items);
}

/**
 * The banner above the panels: the latest `stuck` entry of the event log (tasks waiting, every
 * worker paused for memory) until an `unstuck` entry follows it.
 */
export function renderAlert(node, log) {
  let last;
  for (let i = log.length - 1; i >= 0 && !last; i--) if (log[i].kind === 'stuck' || log[i].kind === 'unstuck') last = log[i];
  const text = last?.kind === 'stuck' ? `${fmtTime(last.time)} ${last.text}` : '';
  if (node.textContent !== text) node.textContent = text;
  node.hidden = text === '';
}

/**
 * Event log: newest first. The workers an entry names link to their pages, called by `labels`
 * (worker-labels.js), so two workers of one name are told apart.
 */
export function renderLog(container, log, labels = new Map()) {
  const items = log.slice(-200).reverse().map((e) =>
    el('div', { class: `log-entry kind-${e.kind}` }, el('span', { class: 'mono muted' }, fmtTime(e.time)), el('span', { class: 'badge' }, e.kind),
      el('span', {}, ...logParts(e, labels).map((p) => (typeof p === 'string' ? p : workerLink(p.id, p.label))))));
  container.replaceChildren(...(items.length ? items : [el('p', { class: 'muted empty' }, 'Nothing yet.')]));
}
