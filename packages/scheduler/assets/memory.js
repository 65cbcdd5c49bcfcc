// Memory per worker over time (views.memory of the feed: samples [time, [[worker id, results
// held bytes, RSS, limit, paused 0/1], ...]], one a second): each worker's process total (solid),
// the results it holds (dashed) and its limit (dotted), the cluster's sums below, and a warning
// per worker near or over its limit (at the limit a worker pauses and stops its longest task).
import { el, fmtBytes, groupColor, widthOf } from './format.js';
import { appendWindow } from './samples.js';
import { labelOf } from './worker-labels.js';
import { axis, fitAxes, secondsAxis, timeRange, timeScale } from './charts.js';

/* global uPlot */

const WINDOW_MS = 10 * 60_000;
/** A worker at this share of its limit is warned about; at 1 it pauses. */
export const PRESSURE = 0.8;

/** Per-worker and cluster series, aligned on the sample times; null where a worker was absent. */
export function memorySeries(samples) {
  const xs = samples.map((s) => s[0] / 1000);
  const ids = [];
  const seen = new Set();
  for (const [, pts] of samples) for (const p of pts) if (!seen.has(p[0])) seen.add(p[0]), ids.push(p[0]);
  const per = new Map(ids.map((id) => [id, { held: [], rss: [], limit: [] }]));
  const cluster = { held: [], rss: [], limit: [] };
  for (const [, pts] of samples) {
    const at = new Map(pts.map((p) => [p[0], p]));
    let h = 0, r = 0, l = 0;
    for (const id of ids) {
      const p = at.get(id);
      const s = per.get(id);
      s.held.push(p ? p[1] : null);
      s.rss.push(p ? p[2] : null);
      s.limit.push(p && p[3] ? p[3] : null);
      if (p) h += p[1], r += p[2], l += p[3];
    }
    cluster.held.push(h);
    cluster.rss.push(r);
    cluster.limit.push(l || null);
  }
  return { xs, ids, per, cluster };
}

/** The warnings for the latest sample: `{id, level: 'paused'|'pressure', text}`. */
export function memoryWarnings(sample, nameOf) {
  if (!sample) return [];
  const out = [];
  for (const [id, , rss, limit, paused] of sample[1]) {
    const name = nameOf(id);
    if (paused) out.push({ id, level: 'paused', text: `${name} is paused: its RSS of ${fmtBytes(rss)} went over its memory limit of ${fmtBytes(limit)}. It starts no new tasks until it is below 90% (its queued tasks move to other workers) and stops the task running longest.` });
    else if (limit && rss >= PRESSURE * limit) out.push({ id, level: 'pressure', text: `${name} is at ${Math.round((rss / limit) * 100)}% of its memory limit (${fmtBytes(rss)} of ${fmtBytes(limit)}): at 100% it pauses and stops the task running longest.` });
  }
  return out;
}

export class MemoryPanel {
  constructor(container) {
    this.name = 'memory';
    this.container = container;
    this.samples = [];
    this.dirty = false;
    this.ids = [];
    /** what the series are called (the workers' labels), as last drawn */
    this.shown = [];
    this.warnings = el('div', { class: 'mem-warnings' });
    this.workersBox = el('div', { class: 'mem-chart' });
    this.clusterBox = el('div', { class: 'mem-chart' });
    container.append(this.warnings, el('h3', {}, 'Per worker'), this.workersBox, el('h3', {}, 'Cluster total'), this.clusterBox);
    this.workersPlot = null;
    this.clusterPlot = this.plot(this.clusterBox, [
      { label: 'process total', stroke: '#4e79a7', width: 2 },
      { label: 'results held', stroke: '#4e79a7', width: 2, dash: [6, 4] },
      { label: 'limit', stroke: '#888', width: 1, dash: [2, 3] },
    ], 160);
  }

  plot(box, series, height) {
    return new uPlot({
      width: widthOf(box), height, cursor: { drag: { x: false, y: false } }, plugins: [fitAxes()],
      scales: { x: timeScale(60), y: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.1)] } },
      axes: [secondsAxis(), axis({ size: 76, values: (_u, s) => s.map(fmtBytes) })],
      series: [{}, ...series.map((s) => ({ points: { show: false }, ...s, value: (_u, v) => (v == null ? '–' : fmtBytes(v)) }))],
    }, [[], ...series.map(() => [])], box);
  }

  setState(s) {
    this.samples = s?.samples ? s.samples.slice() : [];
    this.dirty = true;
  }

  applyDelta(d) {
    if (appendWindow(this.samples, d?.samples, WINDOW_MS)) this.dirty = true;
  }

  /** `labels`: what each worker is called, by id (worker-labels.js): names told apart. */
  render({ labels }) {
    if (!this.dirty) return;
    this.dirty = false;
    const nameOf = (id) => labelOf(labels, id);
    const { xs, ids, per, cluster } = memorySeries(this.samples);
    const shown = ids.map(nameOf);
    if (!this.workersPlot || ids.join('\n') !== this.ids.join('\n') || shown.join('\n') !== this.shown.join('\n')) {
      this.workersPlot?.destroy();
      this.workersBox.replaceChildren();
      this.ids = ids;
      this.shown = shown;
      this.workersPlot = this.plot(this.workersBox, ids.flatMap((id) => {
        const c = groupColor(nameOf(id));
        return [
          { label: `${nameOf(id)} process`, stroke: c, width: 2 },
          { label: `${nameOf(id)} held`, stroke: c, width: 2, dash: [6, 4] },
          { label: `${nameOf(id)} limit`, stroke: c, width: 1, dash: [2, 3] },
        ];
      }), 220);
    }
    this.workersPlot.setData([xs, ...ids.flatMap((id) => [per.get(id).rss, per.get(id).held, per.get(id).limit])]);
    this.clusterPlot.setData([xs, cluster.rss, cluster.held, cluster.limit]);
    const last = this.samples[this.samples.length - 1];
    const warnings = memoryWarnings(last, nameOf);
    this.warnings.replaceChildren(...warnings.map((w) => el('p', { class: `mem-warning ${w.level}`, 'data-worker': nameOf(w.id), 'data-level': w.level }, w.text)));
    // What the latest sample says, for tests and for people reading the numbers.
    const latest = {};
    if (last) for (const [id, held, rss, limit, paused] of last[1]) latest[nameOf(id)] = { held, rss, limit, paused: !!paused };
    this.container.dataset.latest = JSON.stringify(latest);
    const n = cluster.rss.length - 1;
    this.container.dataset.cluster = JSON.stringify(n >= 0 ? { held: cluster.held[n], rss: cluster.rss[n], limit: cluster.limit[n] ?? 0 } : {});
    this.container.dataset.samples = String(this.samples.length);
    if (xs.length) this.container.dataset.xRange = JSON.stringify(timeRange(xs[0], xs[xs.length - 1], 60));
  }

  resize() {
    this.workersPlot?.setSize({ width: widthOf(this.workersBox), height: 220 });
    this.clusterPlot.setSize({ width: widthOf(this.clusterBox), height: 160 });
  }
}
