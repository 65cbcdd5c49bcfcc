// The Progress panel: a stacked bar per task group for the groups that matter now (active ones
// first, then those of the current run), the same rows as a table, and the finished groups of
// earlier runs collapsed below. Everything is bounded, so the page height is too, whatever ran.
import { customPlot, refresh, clipped, themeColor } from './charts.js';
import { axisLabel, el, groupColor } from './format.js';
import { STATE_COLORS } from './palette.js';

/** Most group rows in the chart and table; further active groups are summed on one line. */
export const MAX_SHOWN = 12;
/** Most finished groups listed in the collapsed list. */
export const MAX_FINISHED_LISTED = 50;
/** Most groups a page remembers; beyond it the longest-finished are forgotten. */
export const MAX_REMEMBERED = 100;

/** Bar segments, left to right: what is finished first. */
const SEGMENTS = [
  ['done', 'done, let go', 'finished; its result was released since (it still counts as done)'],
  ['memory', 'in memory', 'finished; its result is held on a worker'],
  ['erred', 'erred', 'failed, or an input it needed failed'],
  ['cancelled', 'cancelled', 'cancelled by a client (its future says cancelled), or depended on a cancelled task'],
  ['processing', 'processing', 'assigned to a worker (running there or queued on it)'],
  ['queued', 'queued', 'ready to run, waiting for a free worker'],
  ['waiting', 'waiting', 'waiting for its inputs'],
];

function segmentCount(g, s) {
  return s === 'erred' ? g.erred : s === 'cancelled' ? g.cancelled ?? 0 : g.counts[s] ?? 0;
}

/** Tasks waiting, queued or processing. */
export function activeCount(g) {
  return g.counts.waiting + g.counts.queued + g.counts.processing;
}

/**
 * Orders the groups for display and bounds them: `shown` (active first in the order they
 * appeared, then the current run's finished ones, newest first, at most MAX_SHOWN), `moreActive`
 * (active groups beyond that, summed), `finished` (the rest, newest first, at most
 * MAX_FINISHED_LISTED).
 */
export function arrangeGroups(groups, run) {
  const active = [], current = [], earlier = [];
  for (const g of groups) {
    if (g.total <= 0) continue;
    if (activeCount(g) > 0) active.push(g);
    else if (g.run === run) current.push(g);
    else earlier.push(g);
  }
  const byRecent = (a, b) => b.updated - a.updated;
  current.sort(byRecent);
  earlier.sort(byRecent);
  const shown = active.slice(0, MAX_SHOWN);
  const moreActive = active.slice(MAX_SHOWN);
  const room = MAX_SHOWN - shown.length;
  shown.push(...current.slice(0, room));
  const finished = current.slice(room).concat(earlier).slice(0, MAX_FINISHED_LISTED);
  return { shown, moreActive, finished };
}

/** Drops the longest-finished groups from `map` (name → row) beyond MAX_REMEMBERED. */
export function forgetOldGroups(map) {
  if (map.size <= MAX_REMEMBERED) return;
  const idle = [...map.values()].filter((g) => activeCount(g) === 0).sort((a, b) => a.updated - b.updated);
  for (const g of idle.slice(0, map.size - MAX_REMEMBERED)) map.delete(g.group);
}

function progressText(g) {
  return `${g.done}/${g.total}${g.erred ? ` · ${g.erred} erred` : ''}${g.cancelled ? ` · ${g.cancelled} cancelled` : ''}`;
}

export class ProgressPanel {
  constructor(container) {
    this.container = container;
    this.rows = [];
    this.chartBox = el('div', { class: 'progress-chart', title: 'One bar per task group of the current run, split by task state; the text is finished/total' });
    this.legend = el('div', { class: 'legend' }, ...SEGMENTS.map(([s, label, tip]) => el('span', { title: tip }, el('i', { style: `background:${STATE_COLORS[s]}` }), label)));
    this.table = el('table', { class: 'progress-table' });
    this.tableBox = el('div', { class: 'scroll-x' }, this.table);
    this.more = el('p', { class: 'muted more-active' });
    this.finishedBox = el('details', { class: 'finished-groups' });
    container.append(this.chartBox, this.legend, this.tableBox, this.more, this.finishedBox);
    this.plot = null;
    this.names = '';
    this.draws = 0;
  }

  /** Redraws from the group rows; called only when some group changed. */
  update(groups, run) {
    const { shown, moreActive, finished } = arrangeGroups(groups, run);
    this.rows = shown;
    const names = shown.map((g) => g.group).join('\n');
    if (!this.plot || names !== this.names) {
      this.names = names;
      this.rebuild();
    } else refresh(this.plot);
    this.table.replaceChildren(this.head(), el('tbody', {}, ...shown.map((g) => this.row(g))));
    this.more.textContent = moreActive.length
      ? `and ${moreActive.length} more active group${moreActive.length === 1 ? '' : 's'}: ${progressText(sum(moreActive))}`
      : '';
    this.renderFinished(finished);
    this.container.dataset.shown = String(shown.length);
    this.container.dataset.finished = String(finished.length);
  }

  head() {
    return el('thead', {}, el('tr', {},
      el('th', { title: 'The task group: the group option of submit/map, else the function\'s name' }, 'group'),
      ...SEGMENTS.map(([, label, tip]) => el('th', { title: tip }, label)),
      el('th', { title: 'finished / all tasks of the group in this run (erred and cancelled ones counted apart)' }, 'done')));
  }

  row(g) {
    return el('tr', { 'data-group': g.group },
      el('td', {}, el('i', { class: 'swatch', style: `background:${groupColor(g.group)}` }), g.group),
      ...SEGMENTS.map(([s]) => {
        const n = segmentCount(g, s);
        return el('td', { class: `num state-${s}${n > 0 ? ' nonzero' : ''}` }, n);
      }),
      el('td', { class: 'num n-of-n' }, `${g.done}/${g.total}`));
  }

  renderFinished(finished) {
    const open = this.finishedBox.open;
    if (!finished.length) {
      this.finishedBox.replaceChildren();
      this.finishedBox.hidden = true;
      return;
    }
    this.finishedBox.hidden = false;
    this.finishedBox.replaceChildren(
      el('summary', { title: 'Groups that finished before the current run; the most recent first' }, `${finished.length} earlier finished group${finished.length === 1 ? '' : 's'}`),
      el('div', { class: 'scroll-x' }, el('table', { class: 'grid finished-table' },
        el('thead', {}, el('tr', {}, el('th', { title: 'task group' }, 'group'), el('th', { title: 'finished/all tasks of its last run' }, 'done'), el('th', { title: 'erred tasks of its last run' }, 'erred'))),
        el('tbody', {}, ...finished.map((g) => el('tr', { 'data-group': g.group },
          el('td', {}, el('i', { class: 'swatch', style: `background:${groupColor(g.group)}` }), g.group),
          el('td', { class: 'num' }, `${g.done}/${g.total}`),
          el('td', { class: `num${g.erred ? ' state-erred nonzero' : ''}` }, g.erred)))))));
    this.finishedBox.open = open;
  }

  height() {
    return Math.max(90, this.rows.length * 26 + 40);
  }

  rebuild() {
    this.plot?.destroy();
    this.chartBox.replaceChildren();
    const n = () => Math.max(1, this.rows.length);
    this.plot = customPlot(this.chartBox, {
      height: this.height(),
      xTime: false,
      xRange: () => [0, 1],
      yRange: () => [-0.5, n() - 0.5],
      xAxis: { values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`) },
      yAxis: {
        size: 150,
        grid: { show: false },
        splits: () => this.rows.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => axisLabel(this.rows[n() - 1 - i]?.group ?? '')),
      },
      draw: (u) => this.draw(u),
    });
  }

  draw(u) {
    this.draws++;
    this.chartBox.dataset.draws = String(this.draws);
    const rows = Math.max(1, this.rows.length);
    const h = (u.bbox.height / rows) * 0.7;
    const ink = themeColor('--ink');
    clipped(u, (ctx) => {
      this.rows.forEach((g, r) => {
        const y = u.valToPos(rows - 1 - r, 'y', true) - h / 2;
        let acc = 0;
        const total = Math.max(1, g.total);
        for (const [s] of SEGMENTS) {
          const c = segmentCount(g, s);
          if (c <= 0) continue;
          const x0 = u.valToPos(acc / total, 'x', true);
          const x1 = u.valToPos((acc + c) / total, 'x', true);
          ctx.fillStyle = STATE_COLORS[s];
          ctx.fillRect(x0, y, Math.max(1, x1 - x0), h);
          acc += c;
        }
        ctx.fillStyle = ink;
        ctx.font = `${Math.round(12 * devicePixelRatio)}px system-ui, sans-serif`;
        ctx.textBaseline = 'middle';
        ctx.textAlign = 'right';
        ctx.fillText(progressText(g), u.bbox.left + u.bbox.width - 6, y + h / 2);
      });
    });
  }

  resize() {
    if (this.plot) this.rebuild();
  }
}

/** The sum of groups' figures, as one row. */
export function sum(groups) {
  let done = 0, erred = 0, cancelled = 0, total = 0;
  for (const g of groups) {
    done += g.done;
    erred += g.erred;
    cancelled += g.cancelled ?? 0;
    total += g.total;
  }
  return { done, erred, cancelled, total };
}
