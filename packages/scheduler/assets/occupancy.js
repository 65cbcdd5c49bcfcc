// Occupancy per worker (views.occupancy of the feed: workers [[id, assigned, executing, threads,
// expected ms of the assigned work per thread]]): what the scheduler assigned to each worker
// against what it executes, on one scale so an overloaded or idle worker stands out.
import { el, fmtAge, workerLink } from './format.js';
import { labelOf } from './worker-labels.js';

/** max/mean of the tasks assigned per thread, 1 when balanced; null without work. */
export function imbalance(rows) {
  const loads = rows.map((r) => r[1] / Math.max(1, r[3]));
  const sum = loads.reduce((a, b) => a + b, 0);
  if (!loads.length || sum === 0) return null;
  return Math.max(...loads) / (sum / loads.length);
}

export class OccupancyPanel {
  constructor(container) {
    this.name = 'occupancy';
    this.container = container;
    this.rows = [];
    this.dirty = false;
  }

  setState(s) {
    this.rows = s?.workers ?? [];
    this.dirty = true;
  }

  applyDelta(d) {
    if (!d?.workers) return;
    this.rows = d.workers;
    this.dirty = true;
  }

  /** `labels`: what each worker is called, by id (worker-labels.js): names told apart. */
  render({ labels }) {
    if (!this.dirty) return;
    this.dirty = false;
    const nameOf = (id) => labelOf(labels, id);
    const rows = this.rows.slice().sort((a, b) => nameOf(a[0]).localeCompare(nameOf(b[0]), undefined, { numeric: true }));
    if (!rows.length) {
      this.container.replaceChildren(el('p', { class: 'muted empty' }, 'No workers connected yet.'));
      return;
    }
    const scale = Math.max(1, ...rows.map((r) => Math.max(r[1], r[3])));
    const ratio = imbalance(rows);
    const total = rows.reduce((a, r) => a + r[1], 0);
    const executing = rows.reduce((a, r) => a + r[2], 0);
    const summary = el('p', { class: 'occ-summary' },
      `${total} assigned, ${executing} executing on ${rows.length} worker${rows.length === 1 ? '' : 's'}`,
      ratio === null ? ' · idle' : ` · busiest worker has ${ratio.toFixed(1)}× the mean load per thread`);
    summary.dataset.imbalance = ratio === null ? '' : String(ratio);
    const body = rows.map(([id, assigned, exec, threads, ms]) => {
      const name = nameOf(id);
      const bar = el('div', { class: 'occ-bar', title: `${name}: ${assigned} task(s) assigned, ${exec} executing on ${threads} thread(s)` },
        el('div', { class: 'occ-assigned', style: `width:${((assigned / scale) * 100).toFixed(1)}%` }),
        el('div', { class: 'occ-executing', style: `width:${((exec / scale) * 100).toFixed(1)}%` }),
        el('div', { class: 'occ-threads', style: `left:${((threads / scale) * 100).toFixed(1)}%` }));
      return el('tr', { 'data-worker': name },
        el('td', {}, workerLink(id, name)),
        el('td', { class: 'occ-cell' }, bar),
        el('td', { class: 'num assigned' }, assigned),
        el('td', { class: 'num executing' }, exec),
        el('td', { class: 'num' }, threads),
        el('td', { class: 'num expected' }, ms > 0 ? `~${fmtAge(ms)}` : '–'));
    });
    this.container.replaceChildren(summary,
      el('table', { class: 'grid occupancy' },
        el('thead', {}, el('tr', {}, ...['worker', 'assigned / executing', 'assigned', 'executing', 'threads', 'work queued per thread'].map((h) => el('th', {}, h)))),
        el('tbody', {}, ...body)),
      el('div', { class: 'legend' }, el('span', {}, el('i', { class: 'occ-assigned' }), 'assigned'), el('span', {}, el('i', { class: 'occ-executing' }), 'executing'), el('span', {}, el('i', { class: 'occ-threads-key' }), 'threads')));
  }

  resize() {}
}
