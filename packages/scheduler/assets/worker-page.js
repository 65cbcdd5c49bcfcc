// One worker's page (`worker?name=NAME`): its figures, the tasks assigned to it now, its results
// by group and the largest ones, its recent transfers and its own log lines. Polls
// `api/worker?name=NAME` once a second (the scheduler builds it only while someone looks).
import { el, fmtAge, fmtBytes, fmtTime } from './format.js';

const name = new URLSearchParams(location.search).get('name') ?? '';
document.title = `Gluon worker ${name}`;
document.getElementById('worker-name').textContent = name;
const conn = document.getElementById('conn');

function table(headers, rows, empty) {
  if (!rows.length) return el('p', { class: 'muted empty' }, empty);
  return el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

function render(d) {
  const w = d.row;
  const now = Date.now();
  document.getElementById('worker-summary').textContent = w ? `${w.address.replace(/^[a-z]+:\/\//, '')} · ${w.host} · ${w.nthreads} thread(s)` : '';
  const figures = w ? [
    ['status', w.alive ? (w.paused ? 'paused (over its memory limit)' : 'running') : 'gone'],
    ['CPU', w.alive ? `${Math.round(w.cpu)}%` : '–'],
    ['memory', w.memoryLimit ? `${fmtBytes(w.rss)} of ${fmtBytes(w.memoryLimit)} (${Math.round((w.rss / w.memoryLimit) * 100)}%)` : fmtBytes(w.rss)],
    ['executing', String(w.executing)],
    ['assigned', String(d.tasksTotal)],
    ['results', `${w.stored} (${fmtBytes(w.storedBytes)})`],
    ['heartbeat', `${fmtAge(now - w.lastSeen)} ago`],
  ] : [['status', 'seen only in transfers or logs']];
  document.getElementById('worker-now').replaceChildren(el('dl', { class: 'figures' }, ...figures.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-figure': k }, v)])));

  document.getElementById('tasks-count').textContent = d.tasksTotal > d.tasks.length ? `(${d.tasks.length} of ${d.tasksTotal} shown)` : `(${d.tasksTotal})`;
  document.getElementById('worker-tasks').replaceChildren(table(['key', 'group'],
    d.tasks.map(([key, group]) => el('tr', { 'data-key': key }, el('td', { class: 'mono' }, key), el('td', {}, group))), 'No tasks assigned.'));

  const count = d.stored.reduce((a, g) => a + g[1], 0);
  const bytes = d.stored.reduce((a, g) => a + g[2], 0);
  document.getElementById('stored-count').textContent = `(${count}, ${fmtBytes(bytes)})`;
  document.getElementById('worker-stored').replaceChildren(table(['group', 'results', 'bytes'],
    d.stored.map(([group, n, b]) => el('tr', { 'data-group': group, 'data-count': String(n), 'data-bytes': String(b) }, el('td', {}, group), el('td', { class: 'num' }, n), el('td', { class: 'num' }, fmtBytes(b)))), 'No results stored.'));
  document.getElementById('worker-largest').replaceChildren(table(['key', 'group', 'bytes'],
    d.largest.map(([key, group, b]) => el('tr', { 'data-key': key, 'data-bytes': String(b) }, el('td', { class: 'mono' }, key), el('td', {}, group), el('td', { class: 'num' }, fmtBytes(b)))), 'No results stored.'));
  document.getElementById('worker-transfers').replaceChildren(table(['time', 'direction', 'keys', 'bytes', 'took'],
    d.transfers.map((x) => el('tr', { 'data-direction': x.direction, 'data-peer': x.peer, 'data-bytes': String(x.bytes) },
      el('td', { class: 'mono' }, fmtTime(x.time)),
      el('td', {}, x.direction === 'in' ? `← from ${x.peer}` : `→ to ${x.peer}`),
      el('td', { class: 'mono keys' }, x.keys.join(', ')),
      el('td', { class: 'num' }, fmtBytes(x.bytes)),
      el('td', { class: 'num' }, `${x.ms} ms`))), 'No transfers yet.'));
  const log = document.getElementById('worker-log');
  log.replaceChildren(...(d.log.length ? d.log.map((l) => el('div', { class: 'log-entry' }, el('span', { class: 'mono muted' }, fmtTime(l.time)), el('span', { class: 'mono' }, l.text))) : [el('p', { class: 'muted empty' }, 'Nothing logged yet.')]));
  log.dataset.lines = String(d.log.length);
}

async function poll() {
  try {
    const r = await fetch(`api/worker?name=${encodeURIComponent(name)}`);
    if (r.status === 401) return location.reload();
    if (r.status === 404) {
      conn.textContent = 'unknown worker';
      conn.className = 'conn down';
      document.getElementById('worker-now').replaceChildren(el('p', { class: 'muted empty' }, await r.text()));
    } else if (!r.ok) {
      throw new Error(`${r.status} ${await r.text()}`);
    } else {
      render(await r.json());
      conn.textContent = 'live';
      conn.className = 'conn up';
    }
  } catch (e) {
    conn.textContent = 'scheduler unreachable, retrying…';
    conn.className = 'conn down';
  }
  setTimeout(poll, 1000);
}
poll();
