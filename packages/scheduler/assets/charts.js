// The uPlot charts. uPlot draws the axes, grid and scales; bars (task stream, progress,
// histograms) are painted in its `draw` hook with its own value→pixel mapping, so every chart
// shares one coordinate system, one resize path and one look.
import { axisLabel, el, fmtRate, groupColor, widthOf } from './format.js';
import { attachStreamInteraction } from './stream-interact.js';
import { thinLabels, valueAxisSize } from './tick-labels.js';
import { streamRowKey, streamRows } from './worker-labels.js';

/* global uPlot */

/** A colour of the page's theme (a CSS custom property of :root), so charts follow dark mode. */
export function themeColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** A performance report's window in seconds ([start, end]), which its time charts show whole. */
let reportWindow = null;

/** Time charts show `[startMs, endMs]` (a report's window) instead of their data's last minutes. */
export function showTimeWindow(startMs, endMs) {
  reportWindow = [startMs / 1000, endMs / 1000];
}

/**
 * uPlot's x scale of a time chart: its data, at least `least` seconds wide (so a fresh
 * dashboard's axis ticks in seconds, not milliseconds); in a report, the report's window.
 */
export function timeScale(least) {
  return { time: true, range: (_u, lo, hi) => timeRange(lo, hi, least) };
}

/** The x range (s) a time chart with data from `lo` to `hi` (s) shows: see {@link timeScale}. */
export function timeRange(lo, hi, least) {
  return reportWindow ?? [Math.min(lo ?? hi - least, hi - least), hi];
}

/** Axis styling in the page's theme. */
export function axis(extra) {
  return { stroke: themeColor('--chart-axis'), grid: { stroke: themeColor('--chart-grid') }, ticks: { stroke: themeColor('--chart-grid') }, ...extra };
}

/**
 * The tick steps (s) of a time axis whose samples are a second apart (Memory, Scheduler,
 * Throughput): uPlot's own from one second up. Its steps start at 1 ms, and a short performance
 * report's window (its time charts show the report's window, not a minute) was labelled every
 * half second (':08.500', ':09.500', … over 12 s), or every 50 ms over 1.2 s, between samples.
 */
export const SECOND_STEPS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400];

/** The x axis of a chart of per-second samples, in the page's theme: ticks on whole seconds and up. */
export function secondsAxis() {
  return axis({ incrs: SECOND_STEPS });
}

/** A canvas context kept for measuring text (drawing nothing), so a chart's own keeps its state. */
let measuring = null;

/** A line's width in px (the canvas's) as the browser draws it in `font`, a canvas font string. */
function measureIn(font) {
  measuring ??= document.createElement('canvas').getContext('2d');
  return (line) => {
    measuring.font = font;
    return measuring.measureText(line).width;
  };
}

/**
 * A uPlot plugin every chart of the page takes: its labels fit, measured in the font they are
 * drawn in (tick-labels.js). Along x, a label that would overlap another or stick out of the
 * canvas is left out (its tick and grid line stay); a left or right axis is as wide as its widest
 * label, at least its configured size. uPlot spaces ticks by a fixed number of pixels and sizes
 * axes as configured: a time axis's first label, with the date under it, ran into the next one,
 * and the Scheduler chart's right axis cut '1000 ms' at the canvas's edge.
 */
export function fitAxes() {
  return {
    hooks: {
      // After uPlot has filled in each axis's defaults (its own time labels among them), before
      // anything is laid out or drawn.
      init: [(u) => u.axes.forEach((axis) => {
        if (!axis.show) return;
        // axis.font: [font scaled to the canvas's pixels, its size there, its size in CSS px]
        const ratio = axis.font[1] / axis.font[2];
        if (axis.side % 2 === 0) {
          if (axis.rotate(u, [], 0, 0) || axis.align) return; // laid out otherwise than centred
          const values = axis.values;
          axis.values = (self, splits, ...rest) => thinLabels(
            values(self, splits, ...rest),
            splits.map((s) => self.valToPos(s, axis.scale, true)),
            measureIn(axis.font[0]),
            { lo: 0, hi: self.width * ratio, gap: axis.font[1] / 2 },
          );
        } else {
          const size = axis.size;
          axis.size = (self, values, ...rest) => {
            const least = size(self, values, ...rest);
            if (!values) return least;
            const measure = measureIn(axis.font[0]);
            return valueAxisSize(values, (line) => measure(line) / ratio, { tick: axis.ticks.show ? axis.ticks.size : 0, gap: axis.gap, least });
          };
        }
      })],
    },
  };
}

/**
 * A uPlot with two placeholder x points and an invisible series: the `draw` callback paints the
 * content, the scales come from the `xRange`/`yRange` callbacks.
 */
export function customPlot(container, { height, xTime, xRange, yRange, yAxis = {}, xAxis = {}, draw, extraSeries = [] }) {
  const opts = {
    width: widthOf(container),
    height,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: xTime, range: () => xRange() },
      y: { range: () => yRange() },
    },
    axes: [axis(xAxis), axis(yAxis)],
    series: [{}, { show: false, scale: 'y' }, ...extraSeries],
    hooks: { draw: [(u) => draw(u)] },
    plugins: [fitAxes()],
  };
  return new uPlot(opts, [[0, 1], [null, null], ...extraSeries.map(() => [null, null])], container);
}

/** Re-runs the range callbacks (the window moved, the data grew) and repaints. */
export function refresh(u) {
  u.setData(u.data);
}

/** Clips drawing to the plot area. */
export function clipped(u, fn) {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  fn(ctx);
  ctx.restore();
}

/** Task stream: one row per worker thread, one bar per task, transfers hatched red on a row per receiving worker. */
export class StreamChart {
  constructor(container) {
    this.container = container;
    /** the longest stretch shown; shorter while the first bars are recent, so they are not slivers */
    this.maxWindowMs = 120_000;
    this.minWindowMs = 5_000;
    this.windowMs = this.minWindowMs;
    this.bars = [];
    /** row keys (by worker id) and what the axis calls them, in the axis's order */
    this.rows = [];
    this.rowLabels = [];
    this.labels = new Map();
    this.now = Date.now();
    this.plot = null;
    /** `{lo, hi}` (ms) while the user zoomed or panned (see stream-interact.js); null: follow now. */
    this.zoom = null;
  }

  /** The time range shown (ms): the zoomed one, or the last `windowMs`. */
  shown() {
    return this.zoom ?? { lo: this.now - this.windowMs, hi: this.now };
  }

  /**
   * A bar's row, by worker id (see worker-labels.js): transfers (kind 1, thread -1) get one
   * `<worker> transfers` row per receiving worker, sorted after that worker's thread rows.
   */
  rowKey(bar) {
    return streamRowKey(bar);
  }

  /**
   * `drops`: `[time, bars left out]` per push that sampled; only those within the window are
   * noted. `labels`: worker labels by id (worker-labels.js), what the rows are called.
   */
  update(bars, now, drops = [], labels = new Map()) {
    this.labels = labels;
    this.bars = bars;
    this.now = now;
    let first = Infinity;
    for (const b of bars) if (b[3] < first && b[4] >= now - this.maxWindowMs) first = b[3];
    const span = Number.isFinite(first) ? (now - first) * 1.05 : 0;
    this.windowMs = Math.min(this.maxWindowMs, Math.max(this.minWindowMs, span));
    const { keys: rows, labels: rowLabels } = streamRows(bars, labels);
    const rowsChanged = rows.length !== this.rows.length || rows.some((r, i) => r !== this.rows[i] || rowLabels[i] !== this.rowLabels[i]);
    this.rows = rows;
    this.rowLabels = rowLabels;
    this.rowIndex = new Map(rows.map((r, i) => [r, i]));
    const note = document.getElementById('stream-note');
    const shown = this.windowMs >= 60_000 ? `${(this.windowMs / 60_000).toFixed(1)} min` : `${(this.windowMs / 1000).toFixed(0)} s`;
    let dropped = 0;
    for (const [time, n] of drops) if (time >= now - this.windowMs) dropped += n;
    if (note) note.textContent = `(last ${shown}${dropped > 0 ? `; sampled, ${dropped} short tasks not drawn` : ''})`;
    if (!this.plot || rowsChanged) this.rebuild();
    else refresh(this.plot);
    this.controls?.update();
    this.visibleBars = this.countVisible();
    this.container.dataset.bars = String(this.visibleBars);
    this.container.dataset.rows = JSON.stringify(rowLabels);
  }

  /** Repaints with the current range (after a zoom or pan). */
  rerender() {
    if (this.plot) refresh(this.plot);
    this.container.dataset.bars = String(this.countVisible());
  }

  /**
   * Whether the stream moves with time alone at `now`: it shows bars (they scroll), or showed
   * some at its last draw (one more draw clears them and their note).
   */
  movesWithTime(now) {
    const last = this.bars[this.bars.length - 1];
    return (!!last && last[4] >= now - this.maxWindowMs) || this.visibleBars > 0;
  }

  countVisible() {
    const { lo, hi } = this.shown();
    let n = 0;
    for (const b of this.bars) if (b[4] >= lo && b[3] <= hi) n++;
    return n;
  }

  height() {
    return Math.max(150, Math.min(640, this.rows.length * 28 + 50));
  }

  rebuild() {
    this.plot?.destroy();
    this.container.replaceChildren();
    const n = () => Math.max(1, this.rows.length);
    this.plot = customPlot(this.container, {
      height: this.height(),
      xTime: false,
      xRange: () => {
        const { lo, hi } = this.shown();
        return [(lo - this.now) / 1000, (hi - this.now) / 1000];
      },
      yRange: () => [-0.5, n() - 0.5],
      // Seconds before now: a scrolling stream reads better as "-10 s" than as wall-clock ticks.
      xAxis: { values: (_u, splits) => splits.map(relSeconds) },
      yAxis: {
        size: 150,
        grid: { show: false },
        splits: () => this.rows.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => axisLabel(this.rowLabels[n() - 1 - i] ?? '')),
      },
      draw: (u) => this.draw(u),
    });
    attachStreamInteraction(this);
  }

  draw(u) {
    this.draws = (this.draws ?? 0) + 1;
    this.container.dataset.draws = String(this.draws);
    const rows = n(this.rows);
    const h = (u.bbox.height / rows) * 0.72;
    const { lo, hi } = this.shown();
    clipped(u, (ctx) => {
      // Per row, the task bar not drawn yet: a bar of the same colour that overlaps it on screen
      // extends it instead of being drawn over it. The pixels are the same; the calls are not:
      // a full window of short tasks is tens of bars per pixel column, and each redraw filled
      // every one of the 30,000 (most of the page's CPU under a steady trickle of tasks).
      const pending = new Map();
      const flush = (p) => {
        ctx.fillStyle = p.color;
        ctx.fillRect(p.x0, p.y, p.x1 - p.x0, h);
      };
      let rects = 0;
      for (const b of this.bars) {
        if (b[4] < lo || b[3] > hi) continue;
        const r = this.rowIndex.get(this.rowKey(b));
        if (r === undefined) continue;
        const y = u.valToPos(rows - 1 - r, 'y', true) - h / 2;
        const x0 = u.valToPos((b[3] - this.now) / 1000, 'x', true);
        const x1 = u.valToPos((b[4] - this.now) / 1000, 'x', true);
        // A hairline gap keeps back-to-back tasks distinguishable.
        const w = x1 - x0 > 3 ? x1 - x0 - 1 : Math.max(1, x1 - x0);
        if (b[5] !== 1) {
          const color = groupColor(b[2]);
          const p = pending.get(r);
          if (p && p.color === color && x0 >= p.x0 && x0 <= p.x1) {
            p.x1 = Math.max(p.x1, x0 + w);
            continue;
          }
          if (p) {
            flush(p);
            rects++;
          }
          pending.set(r, { color, x0, x1: x0 + w, y });
          continue;
        }
        // A transfer is drawn over what its row drew before it.
        const p = pending.get(r);
        if (p) {
          flush(p);
          rects++;
          pending.delete(r);
        }
        // Transfers: a thinner bar, red diagonal hatching with a red outline, never a group colour.
        rects++;
        ctx.fillStyle = hatch(ctx);
        ctx.fillRect(x0, y + h * 0.2, w, h * 0.6);
        ctx.strokeStyle = '#d62728';
        ctx.lineWidth = 1;
        ctx.strokeRect(x0, y + h * 0.2, w, h * 0.6);
      }
      for (const p of pending.values()) {
        flush(p);
        rects++;
      }
      // How many rectangles the bars took (tests bound it: a pixel column of a row is one).
      this.container.dataset.rects = String(rects);
    });
  }

  resize() {
    this.plot?.setSize({ width: widthOf(this.container), height: this.height() });
  }
}

let hatchPattern = null;
/** The transfer bars' fill: red diagonal lines on a pale red ground (made once). */
function hatch(ctx) {
  if (hatchPattern) return hatchPattern;
  const tile = document.createElement('canvas');
  tile.width = tile.height = 6;
  const c = tile.getContext('2d');
  c.fillStyle = 'rgba(214, 39, 40, 0.18)';
  c.fillRect(0, 0, 6, 6);
  c.strokeStyle = '#d62728';
  c.lineWidth = 1.5;
  c.beginPath();
  // The main diagonal plus the corners it continues into, so tiles join seamlessly.
  c.moveTo(0, 6); c.lineTo(6, 0);
  c.moveTo(-1, 1); c.lineTo(1, -1);
  c.moveTo(5, 7); c.lineTo(7, 5);
  c.stroke();
  hatchPattern = ctx.createPattern(tile, 'repeat') ?? 'rgba(214, 39, 40, 0.35)';
  return hatchPattern;
}

/** An x tick of the task stream, in seconds relative to now. */
function relSeconds(s) {
  if (Math.abs(s) < 1e-9) return 'now';
  const abs = Math.abs(s);
  return `${s < 0 ? "−" : "+"}${Number(abs.toFixed(2))} s`;
}

function n(rows) {
  return Math.max(1, rows.length);
}

/** Throughput: tasks/s (left axis) and events/s (right axis) over the last minutes. */
export class ThroughputChart {
  constructor(container) {
    this.container = container;
    this.rebuild();
  }

  /** (Re)creates the chart, e.g. with the colours of a theme just switched to. */
  rebuild() {
    const data = this.plot?.data ?? [[], [], []];
    this.plot?.destroy();
    this.plot = new uPlot({
      width: widthOf(this.container),
      height: 300,
      cursor: { drag: { x: false, y: false } },
      plugins: [fitAxes()],
      scales: { x: timeScale(20), tasks: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.1)] }, events: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.1)] } },
      axes: [
        secondsAxis(),
        axis({ scale: 'tasks', stroke: '#4e79a7', values: (_u, s) => s.map(fmtRate), size: 50 }),
        axis({ scale: 'events', side: 1, stroke: '#f28e2b', grid: { show: false }, values: (_u, s) => s.map(fmtRate), size: 50 }),
      ],
      series: [
        {},
        { label: 'tasks/s', scale: 'tasks', stroke: '#4e79a7', width: 2, fill: 'rgba(78,121,167,0.12)', value: (_u, v) => (v == null ? '–' : fmtRate(v)) },
        { label: 'events/s', scale: 'events', stroke: '#f28e2b', width: 2, value: (_u, v) => (v == null ? '–' : fmtRate(v)) },
      ],
    }, data, this.container);
  }

  update(rates) {
    // Smooth over a second (4 pushes) so the line shows throughput, not push jitter.
    const xs = [], ts = [], es = [];
    const k = 4;
    for (let i = 0; i < rates.length; i++) {
      let t = 0, e = 0, c = 0;
      for (let j = Math.max(0, i - k + 1); j <= i; j++, c++) {
        t += rates[j][1];
        e += rates[j][2];
      }
      xs.push(rates[i][0] / 1000);
      ts.push(t / c);
      es.push(e / c);
    }
    this.plot.setData([xs, ts, es]);
    this.container.dataset.points = String(xs.length);
  }

  resize() {
    this.plot.setSize({ width: widthOf(this.container), height: 300 });
  }
}

/**
 * A legend's colour swatch. The colour is the publisher's text: set as one property, a value that
 * is not one colour is dropped; as `style="background:…"` it was any declarations, and one
 * published `color` (`red; position:fixed; width:100vw; height:100vh`) covered the whole page.
 */
function swatch(color) {
  const i = el('i', {});
  i.style.background = String(color);
  return i;
}

/**
 * A histogram as stacked bars (groups with `style: 'points'` drawn as points with √N error
 * bars on top, like data over a Monte Carlo stack). `h` is the normalised shape from results.js.
 */
export class HistogramChart {
  constructor(container) {
    this.container = container;
    this.h = null;
    this.box = el('div', {});
    this.legend = el('div', { class: 'legend' });
    container.append(this.box, this.legend);
    this.plot = null;
  }

  update(h) {
    this.h = h;
    this.legend.replaceChildren(...h.groups.map((g) => el('span', {}, swatch(g.color), g.style === 'points' ? `● ${g.name}` : g.name)));
    if (!this.plot) {
      this.plot = customPlot(this.box, {
        height: 240,
        xTime: false,
        xRange: () => [this.h.edges[0], this.h.edges[this.h.edges.length - 1]],
        yRange: () => [0, this.yMax()],
        xAxis: { label: this.h.xLabel || undefined, labelSize: this.h.xLabel ? 20 : 0 },
        yAxis: { size: 50, values: (_u, s) => s.map(fmtRate) },
        draw: (u) => this.draw(u),
      });
    } else refresh(this.plot);
  }

  yMax() {
    const { edges, groups } = this.h;
    let max = 0;
    for (let i = 0; i < edges.length - 1; i++) {
      let s = 0;
      for (const g of groups) {
        const v = g.values[i] || 0;
        if (g.style === 'points') max = Math.max(max, v + Math.sqrt(Math.max(0, v)));
        else s += Math.max(0, v);
      }
      max = Math.max(max, s);
    }
    return max > 0 ? max * 1.12 : 1;
  }

  draw(u) {
    const { edges, groups } = this.h;
    clipped(u, (ctx) => {
      for (let i = 0; i < edges.length - 1; i++) {
        const x0 = u.valToPos(edges[i], 'x', true);
        const x1 = u.valToPos(edges[i + 1], 'x', true);
        let acc = 0;
        for (const g of groups) {
          if (g.style === 'points') continue;
          const v = Math.max(0, g.values[i] || 0);
          if (v === 0) continue;
          const y0 = u.valToPos(acc, 'y', true);
          const y1 = u.valToPos(acc + v, 'y', true);
          ctx.fillStyle = g.color;
          ctx.fillRect(x0, y1, Math.max(1, x1 - x0), y0 - y1);
          acc += v;
        }
      }
      for (const g of groups) {
        if (g.style !== 'points') continue;
        ctx.fillStyle = g.color;
        ctx.strokeStyle = g.color;
        ctx.lineWidth = Math.max(1, devicePixelRatio);
        for (let i = 0; i < edges.length - 1; i++) {
          const v = g.values[i] || 0;
          if (v <= 0) continue;
          const x = u.valToPos((edges[i] + edges[i + 1]) / 2, 'x', true);
          const err = Math.sqrt(v);
          ctx.beginPath();
          ctx.moveTo(x, u.valToPos(v - err, 'y', true));
          ctx.lineTo(x, u.valToPos(v + err, 'y', true));
          ctx.stroke();
          ctx.beginPath();
          ctx.arc(x, u.valToPos(v, 'y', true), 3 * devicePixelRatio, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    });
  }

  resize() {
    this.plot?.setSize({ width: widthOf(this.box), height: 240 });
  }

  destroy() {
    this.plot?.destroy();
  }
}

/** A plain series (an array of numbers published on a topic) as a line. */
export class SeriesChart {
  constructor(container) {
    this.container = container;
    this.plot = new uPlot({
      width: widthOf(container), height: 160, legend: { show: false }, cursor: { show: false }, plugins: [fitAxes()],
      scales: { x: { time: false } },
      axes: [axis({}), axis({ size: 50, values: (_u, s) => s.map(fmtRate) })],
      series: [{}, { stroke: '#4e79a7', width: 2 }],
    }, [[], []], container);
  }

  update(values) {
    this.plot.setData([values.map((_, i) => i), values]);
  }

  resize() {
    this.plot.setSize({ width: widthOf(this.container), height: 160 });
  }

  destroy() {
    this.plot.destroy();
  }
}
