// The scheduler's own health: CPU, RSS and event-loop lag, sampled once a second by the
// scheduler (views.scheduler of the feed: samples [time, cpu %, rss, lag max ms, lag mean ms]).
// The latest figures go in the header; the panel charts the last ten minutes.
import { el, fmtBytes, widthOf } from './format.js';
import { appendWindow } from './samples.js';
import { axis, fitAxes, secondsAxis, timeScale } from './charts.js';

/* global uPlot */

const WINDOW_MS = 10 * 60_000;

export class SchedulerPanel {
  constructor(container, header) {
    this.name = 'scheduler';
    this.container = container;
    this.header = header;
    this.samples = [];
    this.dirty = false;
    const left = el('div', { class: 'self-chart' });
    const right = el('div', { class: 'self-chart' });
    container.append(left, right);
    const time = timeScale(60);
    // Axes in the page's theme (dark mode included).
    const theme = axis({});
    const x = secondsAxis();
    this.cpu = new uPlot({
      width: widthOf(left), height: 180, cursor: { drag: { x: false, y: false } }, plugins: [fitAxes()],
      scales: { x: time, pct: { range: (_u, _lo, hi) => [0, Math.max(100, hi * 1.1)] }, ms: { range: (_u, _lo, hi) => [0, Math.max(10, hi * 1.1)] } },
      axes: [x, { ...theme, scale: 'pct', size: 52, values: (_u, s) => s.map((v) => `${v}%`) }, { ...theme, scale: 'ms', side: 1, grid: { show: false }, size: 56, values: (_u, s) => s.map((v) => `${v} ms`) }],
      series: [{}, { label: 'CPU', scale: 'pct', points: { show: false }, stroke: '#4e79a7', width: 2, value: (_u, v) => (v == null ? '–' : `${v.toFixed(0)}%`) },
        { label: 'loop lag (max)', scale: 'ms', points: { show: false }, stroke: '#e15759', width: 1.5, value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} ms`) }],
    }, [[], [], []], left);
    this.rss = new uPlot({
      width: widthOf(right), height: 180, cursor: { drag: { x: false, y: false } }, plugins: [fitAxes()],
      scales: { x: time, y: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.15)] } },
      axes: [x, { ...theme, size: 76, values: (_u, s) => s.map(fmtBytes) }],
      series: [{}, { label: 'RSS', points: { show: false }, stroke: '#59a14f', width: 2, fill: 'rgba(89,161,79,0.12)', value: (_u, v) => (v == null ? '–' : fmtBytes(v)) }],
    }, [[], []], right);
  }

  setState(s) {
    this.samples = s?.samples ? s.samples.slice() : [];
    this.dirty = true;
  }

  applyDelta(d) {
    if (appendWindow(this.samples, d?.samples, WINDOW_MS)) this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const s = this.samples;
    const xs = s.map((x) => x[0] / 1000);
    this.cpu.setData([xs, s.map((x) => x[1]), s.map((x) => x[3])]);
    this.rss.setData([xs, s.map((x) => x[2])]);
    const last = s[s.length - 1];
    if (!last) return;
    const [, cpu, rss, lagMax, lagMean] = last;
    this.header.textContent = `scheduler CPU ${cpu.toFixed(0)}% · RSS ${fmtBytes(rss)} · loop lag ${lagMax.toFixed(1)} ms`;
    this.header.title = `The scheduler process, over the last second: CPU time over wall time (100% = one core), resident memory, and how late its event loop ran a timer (max ${lagMax.toFixed(1)} ms, mean ${lagMean.toFixed(2)} ms)`;
    Object.assign(this.container.dataset, { cpu: String(cpu), rss: String(rss), lagMax: String(lagMax), lagMean: String(lagMean), samples: String(s.length) });
  }

  resize() {
    for (const p of [this.cpu, this.rss]) p.setSize({ width: widthOf(p.root.parentElement), height: 180 });
  }
}
