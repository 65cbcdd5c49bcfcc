// A worker's own page drawn from its detail (`api/worker?id=…`): its figures, the tasks
// assigned to it, its results by group and the largest, its transfers and its log lines. Shared by
// the live page (worker-page.js, which polls) and a performance report (replay.js, which has the
// detail as recorded at the end of its window).
import { el, fmtBytes, fmtTime, workerLink } from './format.js';
import { heartbeatAge, workerStatus } from './worker-status.js';

function table(headers, rows, empty) {
  if (!rows.length) return el('p', { class: 'muted empty' }, empty);
  return el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

/** Draws the worker page's panels (the elements of worker.html's main) from one detail; `now` dates ages. */
export function renderWorker(d, now) {
  const w = d.row;
  // Its name (a link by id names none); its address, below, tells apart workers named alike.
  document.getElementById('worker-name').textContent = d.name;
  document.getElementById('worker-summary').textContent = w ? `${w.address.replace(/^[a-z]+:\/\//, '')} · ${w.host} · ${w.nthreads} thread(s)` : '';
  // A gone worker's row has its figures zeroed (they described a process that is gone): `–`, as
  // its Workers row says; its page read "memory 0 B of 160 MiB (0%)", "results 0 (0 B)".
  const live = (text) => (w.alive ? text() : '–');
  const figures = w ? [
    ['status', workerStatus(w)],
    ['CPU', live(() => `${Math.round(w.cpu)}%`)],
    ['memory', live(() => (w.memoryLimit ? `${fmtBytes(w.rss)} of ${fmtBytes(w.memoryLimit)} (${Math.round((w.rss / w.memoryLimit) * 100)}%)` : fmtBytes(w.rss)))],
    ['executing', live(() => String(w.executing))],
    ['assigned', live(() => String(d.tasksTotal))],
    ['results', live(() => `${w.stored} (${fmtBytes(w.storedBytes)})`)],
    ['heartbeat', heartbeatAge(w, now)],
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
      el('td', {}, x.direction === 'in' ? '← from ' : '→ to ', x.peerId ? workerLink(x.peerId, x.peer) : x.peer),
      el('td', { class: 'mono keys' }, x.keys.join(', ')),
      el('td', { class: 'num' }, fmtBytes(x.bytes)),
      el('td', { class: 'num' }, `${x.ms} ms`))), 'No transfers yet.'));
  const log = document.getElementById('worker-log');
  log.replaceChildren(...(d.log.length ? d.log.map((l) => el('div', { class: 'log-entry' }, el('span', { class: 'mono muted' }, fmtTime(l.time)), el('span', { class: 'mono' }, l.text))) : [el('p', { class: 'muted empty' }, 'Nothing logged yet.')]));
  log.dataset.lines = String(d.log.length);
}

