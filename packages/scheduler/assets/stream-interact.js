// The task stream's hover, zoom and pan. Hovering a bar shows what it was (a task: key, group,
// worker, thread, start, duration, result size; a transfer: keys, from → to, bytes, duration).
// The wheel zooms the time axis around the pointer, dragging pans it, both within the bars the
// page retains (the scheduler keeps 5 minutes); the view then stays put instead of scrolling.
// Double-click or "Live" follows now again (in a performance report: "Whole report" shows it whole).
import { el, fmtAge, fmtBytes } from './format.js';
import { labelOf } from './worker-labels.js';

/** Zoom limits: no narrower than 50 ms, no wider than what is retained. */
const MIN_SPAN_MS = 50;
const RETAINED_MS = 5 * 60_000;

/** The range the stream can show: from its oldest retained bar (at most 5 min back) to now. */
function bounds(chart) {
  let first = chart.now;
  for (const b of chart.bars) if (b[3] < first) first = b[3];
  // A performance report retains its whole window (chart.retainedMs, set by its replay).
  return { min: Math.max(first, chart.now - (chart.retainedMs ?? RETAINED_MS)), max: chart.now };
}

/** `{lo, hi}` moved inside the bounds, keeping its span (shrunk to them if wider). */
function clamp(chart, lo, hi) {
  const { min, max } = bounds(chart);
  let span = Math.min(Math.max(MIN_SPAN_MS, hi - lo), Math.max(MIN_SPAN_MS, max - min));
  if (hi - lo < MIN_SPAN_MS) {
    const mid = (lo + hi) / 2;
    lo = mid - span / 2;
  }
  lo = Math.max(min, Math.min(lo, max - span));
  return { lo, hi: lo + span };
}

/** ms since epoch at an x offset (CSS px) of the plot area. */
function timeAt(chart, x) {
  return chart.now + chart.plot.posToVal(x, 'x') * 1000;
}

/** The bar under an offset of the plot area (CSS px), or null: nearest within 3 px on its row. */
export function hitTest(chart, x, y) {
  const u = chart.plot;
  const rows = Math.max(1, chart.rows.length);
  const r = rows - 1 - Math.round(u.posToVal(y, 'y'));
  const row = chart.rows[r];
  if (row === undefined) return null;
  const t = timeAt(chart, x);
  const tol = (timeAt(chart, x + 3) - t);
  let best = null;
  let bestDist = Infinity;
  for (const b of chart.bars) {
    if (chart.rowKey(b) !== row) continue;
    const d = t < b[3] ? b[3] - t : t > b[4] ? t - b[4] : 0;
    if (d <= tol && d < bestDist) {
      best = b;
      bestDist = d;
      if (d === 0) break;
    }
  }
  return best;
}

/** Where the middle of the bar of `key` (kind 0 a task, 1 a transfer) is on the page (client px); null when not shown. */
export function barCenter(chart, key, kind = 0) {
  const b = chart.bars.find((x) => x[6] === key && x[5] === kind);
  const r = b && chart.rowIndex.get(chart.rowKey(b));
  if (r === undefined) return null;
  const u = chart.plot;
  const box = u.over.getBoundingClientRect();
  return {
    x: box.left + u.valToPos(((b[3] + b[4]) / 2 - chart.now) / 1000, 'x'),
    y: box.top + u.valToPos(Math.max(1, chart.rows.length) - 1 - r, 'y'),
  };
}

function clock(ms) {
  const d = new Date(ms);
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function duration(ms) {
  return ms < 1000 ? `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms` : fmtAge(ms);
}

/** The tooltip's lines for a bar; `labels`: worker labels by id (worker-labels.js). */
export function describe(b, labels = new Map()) {
  const [id, thread, group, start, stop, kind, key, bytes, fromId] = b;
  const worker = labelOf(labels, id);
  if (kind === 1) {
    return [['transfer', `${fromId ? labelOf(labels, fromId) : '?'} → ${worker}`], ['keys', key || group], ['bytes', fmtBytes(bytes)], ['start', clock(start)], ['duration', duration(stop - start)]];
  }
  return [['key', key || '?'], ['group', group], ['worker', worker], ['thread', String(thread)], ['start', clock(start)], ['duration', duration(stop - start)], ['result', fmtBytes(bytes)]];
}

/**
 * Wires a StreamChart's freshly built uPlot: tooltip, wheel zoom, drag pan, double-click to
 * follow now. Called after each rebuild (the plot and its overlay are new then).
 */
export function attachStreamInteraction(chart) {
  const u = chart.plot;
  const over = u.over;
  const container = chart.container;
  container.style.position = 'relative';
  const tip = el('div', { class: 'stream-tip', role: 'tooltip' });
  tip.hidden = true;
  container.append(tip);
  // Tests and scripts find a bar's place on screen by its key.
  container.barCenter = (key, kind) => barCenter(chart, key, kind);
  const controls = streamControls(chart);

  const hide = () => (tip.hidden = true);
  let drag = null;
  over.addEventListener('mousemove', (e) => {
    if (drag) {
      const dt = timeAt(chart, drag.x) - timeAt(chart, e.offsetX);
      chart.zoom = clamp(chart, drag.lo + dt, drag.hi + dt);
      chart.rerender();
      controls.update();
      return;
    }
    const b = hitTest(chart, e.offsetX, e.offsetY);
    if (!b) return hide();
    tip.replaceChildren(...describe(b, chart.labels).map(([k, v]) => el('div', {}, el('b', {}, `${k} `), v)));
    tip.dataset.key = b[6] || b[2];
    tip.hidden = false;
    const box = container.getBoundingClientRect();
    const x = e.clientX - box.left + 14;
    tip.style.left = `${Math.min(x, box.width - tip.offsetWidth - 4)}px`;
    const below = e.clientY - box.top + 14;
    tip.style.top = `${below + tip.offsetHeight > box.height ? Math.max(0, below - tip.offsetHeight - 28) : below}px`;
  });
  over.addEventListener('mouseleave', () => {
    hide();
    drag = null;
  });
  over.addEventListener('mousedown', (e) => {
    const { lo, hi } = chart.shown();
    drag = { x: e.offsetX, lo, hi };
    hide();
  });
  over.addEventListener('mouseup', () => (drag = null));
  over.addEventListener('wheel', (e) => {
    e.preventDefault();
    const { lo, hi } = chart.shown();
    const at = timeAt(chart, e.offsetX);
    const f = e.deltaY > 0 ? 1.25 : 0.8;
    chart.zoom = clamp(chart, at - (at - lo) * f, at + (hi - at) * f);
    chart.rerender();
    controls.update();
  }, { passive: false });
  over.addEventListener('dblclick', () => {
    chart.zoom = null;
    chart.rerender();
    controls.update();
  });
  controls.update();
}

/** The "Live" button and zoom buttons above the stream (made once per chart). */
function streamControls(chart) {
  if (chart.controls) return chart.controls;
  const label = el('span', { class: 'muted stream-range' });
  const live = el('button', { type: 'button', class: 'stream-live' }, 'Live');
  const zoom = (f) => () => {
    const { lo, hi } = chart.shown();
    const mid = (lo + hi) / 2;
    chart.zoom = clamp(chart, mid - ((hi - lo) / 2) * f, mid + ((hi - lo) / 2) * f);
    chart.rerender();
    c.update();
  };
  const zin = el('button', { type: 'button', class: 'stream-zoom-in', title: 'Zoom in (or the mouse wheel over the stream)' }, '+');
  const zout = el('button', { type: 'button', class: 'stream-zoom-out' }, '−');
  zin.onclick = zoom(0.5);
  zout.onclick = zoom(2);
  live.onclick = () => {
    chart.zoom = null;
    chart.rerender();
    c.update();
  };
  const bar = el('div', { class: 'stream-controls' }, zin, zout, live, label);
  chart.container.before(bar);
  const c = {
    update() {
      const { lo, hi } = chart.shown();
      live.disabled = chart.zoom === null;
      // A performance report (its replay sets retainedMs, after this was made) follows nothing:
      // it said 'following now', 'Live' and 'up to the retained 5 minutes' over a recorded window.
      const report = chart.retainedMs !== undefined;
      const liveText = report ? 'Whole report' : 'Live';
      if (live.textContent !== liveText) live.textContent = liveText;
      live.title = report ? 'Show the whole report again (or double-click the stream)' : 'Follow the latest tasks again (or double-click the stream)';
      zout.title = report ? 'Zoom out, up to the whole report' : 'Zoom out, up to the retained 5 minutes';
      label.textContent = chart.zoom ? `${clock(lo)} – ${clock(hi)} (${duration(hi - lo)}); drag to pan, wheel to zoom`
        : `${report ? 'the whole report' : 'following now'}; wheel to zoom, drag to pan, hover a bar for details`;
      Object.assign(chart.container.dataset, { lo: String(Math.round(lo)), hi: String(Math.round(hi)), zoomed: String(chart.zoom !== null) });
    },
  };
  chart.controls = c;
  return c;
}
