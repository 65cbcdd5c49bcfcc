// The Results panel: one card per published topic, drawn by the shape of its value
// (docs/internals.md, "Published values"): histograms as stacked bars, number arrays as lines,
// numbers big, flat objects and arrays of rows as tables, anything else as JSON.
import { HistogramChart, SeriesChart } from './charts.js';
import { el, fmtAge, groupColor } from './format.js';

const FAILURE_TOPIC = /^failures\//;

/**
 * The most cells (bins × groups) a histogram is drawn with. Every redraw visits each cell, and a
 * value of a few bytes could ask for any number: `nbins: 1e9` hung every open dashboard (an array
 * of 1e9 edges), `2 ** 32` threw on each render and stopped the panels after Results; 500,000
 * edges and 100,000 empty groups fit in the 2 MiB a shown value may have.
 */
export const MAX_HISTOGRAM_CELLS = 2_000_000;

/**
 * A histogram-shaped value normalised to `{edges, groups: [{name, values, color, style}]}`, or
 * null; `{problem}` when it has the shape but cannot be drawn (what was wrong, for its card).
 */
export function asHistogram(v) {
  if (!v || typeof v !== 'object' || Array.isArray(v) || !v.groups || typeof v.groups !== 'object') return null;
  const entries = Array.isArray(v.groups) ? v.groups.map((g) => [g?.name, g]) : Object.entries(v.groups);
  if (!entries.length) return null;
  const first = entries[0][1];
  const firstValues = Array.isArray(first) ? first : first?.values;
  if (!Array.isArray(firstValues)) return null;
  const valuesOf = (g) => (Array.isArray(g) ? g : Array.isArray(g?.values) ? g.values : []);
  let longest = 0;
  for (const [, g] of entries) longest = Math.max(longest, valuesOf(g).length);
  let edges = Array.isArray(v.edges) ? v.edges.map(Number) : null;
  let nbins = Number.isInteger(v.nbins) ? v.nbins : edges ? edges.length - 1 : firstValues.length;
  if (!edges) {
    const lo = Number(v.lo), hi = Number(v.hi);
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo) || nbins < 1) return null;
    // Bins are drawn from the values: more bins than any group has values is not a histogram.
    if (nbins > longest) return { problem: `nbins is ${nbins}, more than the ${longest} values of its longest group` };
    edges = Array.from({ length: nbins + 1 }, (_, i) => lo + ((hi - lo) * i) / nbins);
  }
  nbins = edges.length - 1;
  if (nbins * entries.length > MAX_HISTOGRAM_CELLS) {
    return { problem: `${nbins} bins × ${entries.length} groups is over the ${MAX_HISTOGRAM_CELLS} cells a histogram is drawn with` };
  }
  const groups = entries.map(([name, g]) => {
    let values = valuesOf(g).map(Number);
    // ROOT-style contents with under/overflow: drop the two flow bins.
    if (values.length === nbins + 2) values = values.slice(1, -1);
    const style = g?.style === 'points' ? 'points' : 'stack';
    return { name: String(name), values, color: g?.color || (style === 'points' ? '#000' : groupColor(name)), style };
  });
  return { edges, groups, xLabel: v.xLabel || v.xTitle || '', title: v.title || '' };
}

function isRowArray(v) {
  return Array.isArray(v) && v.length > 0 && v.every((r) => r && typeof r === 'object' && !Array.isArray(r));
}

function isFlatObject(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x !== 'object');
}

function table(rows) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 12);
  return el('div', { class: 'scroll-x' }, el('table', { class: 'grid' },
    el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { title: c }, c)))),
    el('tbody', {}, ...rows.slice(0, 100).map((r) => el('tr', {}, ...cols.map((c) => el('td', { class: typeof r[c] === 'number' ? 'num' : '' }, fmtCell(r[c]))))))));
}

function fmtCell(x) {
  if (typeof x === 'number') return Number.isInteger(x) ? x.toLocaleString() : x.toPrecision(4);
  if (x === null || x === undefined) return '';
  return typeof x === 'object' ? JSON.stringify(x) : String(x);
}

/** What kind of card a value gets; a card is rebuilt only when the kind changes. */
function kindOf(v) {
  if (v && typeof v === 'object' && v.__gluonNote) return 'note';
  const h = asHistogram(v);
  if (h?.problem) return 'unshown';
  if (h) return 'histogram';
  if (typeof v === 'number') return 'number';
  if (Array.isArray(v) && v.length > 1 && v.every((x) => typeof x === 'number')) return 'series';
  if (isRowArray(v)) return 'rows';
  if (isFlatObject(v)) return 'object';
  return 'json';
}

export class ResultsPanel {
  constructor(container) {
    this.container = container;
    this.cards = new Map();
    /** The page's "Nothing published yet" note, shown again when no topic is left. */
    this.empty = container.querySelector('.empty');
  }

  /** Values published on `failures/…` topics, as Failures rows (e.g. the analysis's bad-file skips). */
  reportedFailures(topics) {
    const out = [];
    for (const [topic, t] of topics) {
      if (!FAILURE_TOPIC.test(topic)) continue;
      const list = Array.isArray(t.value) ? t.value : [t.value];
      for (const f of list) {
        if (!f || typeof f !== 'object') continue;
        out.push({
          key: String(f.key ?? f.file ?? topic), group: topic, name: String(f.name ?? 'Skipped'), message: String(f.message ?? f.reason ?? ''),
          stack: String(f.stack ?? ''), worker: String(f.worker ?? ''), retriesUsed: Number(f.retriesUsed ?? 0), kind: String(f.kind ?? 'skipped'),
          time: Number(f.time ?? t.time),
        });
      }
    }
    return out;
  }

  update(topics, now) {
    const names = [...topics.keys()].filter((t) => !FAILURE_TOPIC.test(t)).sort();
    // A full state without a topic (a restarted scheduler, which keeps published values in memory
    // only) takes its card away: the old one stayed, as if the new scheduler held that value.
    for (const [name, card] of this.cards) {
      if (topics.has(name)) continue;
      card.chart?.destroy?.();
      card.root.remove();
      this.cards.delete(name);
    }
    if (this.empty && !names.length && !this.cards.size && !this.container.querySelector('.empty')) this.container.replaceChildren(this.empty);
    if (names.length && this.container.querySelector('.empty')) this.container.replaceChildren();
    for (const name of names) {
      try {
        this.updateCard(name, topics.get(name), now);
      } catch (e) {
        // One topic's value must not stop the others, nor the panels drawn after this one.
        const card = this.cards.get(name);
        card?.body.replaceChildren(el('p', { class: 'muted' }, `this value cannot be shown: ${e?.message ?? e}`));
      }
    }
  }

  updateCard(name, t, now) {
    const kind = kindOf(t.value);
    let card = this.cards.get(name);
    if (card && card.kind !== kind) {
      card.chart?.destroy?.();
      card.root.remove();
      card = undefined;
    }
    if (!card) {
      card = this.createCard(name, kind);
      this.cards.set(name, card);
    }
    const meta = `updated ${t.count}× · ${fmtAge(now - t.time)} ago`;
    if (card.meta.textContent !== meta) card.meta.textContent = meta;
    // By the entry itself, not its count: each publish brings a new entry, and so does a full
    // state, whose counts start again after a restart (a new scheduler's first value, count 1,
    // was not drawn over the old one's count 1).
    if (card.seen !== t) {
      card.seen = t;
      this.fill(card, t.value);
    }
  }

  createCard(name, kind) {
    const title = el('h3', {}, name);
    const meta = el('span', { class: 'muted meta', title: 'how many times the topic was published, and when last' });
    const body = el('div', { class: 'body' });
    const root = el('div', { class: `result kind-${kind}`, 'data-topic': name }, el('div', { class: 'rhead' }, title, meta), body);
    // Cards are kept in topic order.
    const after = [...this.container.children].find((c) => c.dataset.topic > name);
    this.container.insertBefore(root, after ?? null);
    const card = { name, kind, root, meta, body, title, chart: null, seen: null };
    if (kind === 'histogram') card.chart = new HistogramChart(body);
    if (kind === 'series') card.chart = new SeriesChart(body);
    return card;
  }

  fill(card, v) {
    switch (card.kind) {
      case 'histogram': {
        const h = asHistogram(v);
        if (h.title) card.title.textContent = `${card.name} — ${h.title}`;
        card.chart.update(h);
        let total = 0;
        for (const g of h.groups) if (g.style !== 'points') for (const x of g.values) total += x;
        card.root.dataset.sum = String(total);
        return;
      }
      case 'series': return card.chart.update(v);
      case 'number': return card.body.replaceChildren(el('div', { class: 'big' }, fmtCell(v)));
      case 'rows': return card.body.replaceChildren(table(v));
      case 'object': return card.body.replaceChildren(table(Object.entries(v).map(([key, value]) => ({ key, value }))));
      case 'note': return card.body.replaceChildren(el('p', { class: 'muted' }, v.__gluonNote));
      case 'unshown': return card.body.replaceChildren(el('p', { class: 'muted' }, `not drawn as a histogram: ${asHistogram(v).problem}`));
      default: return card.body.replaceChildren(el('pre', {}, JSON.stringify(v, null, 2).slice(0, 20_000)));
    }
  }

  resize() {
    for (const c of this.cards.values()) c.chart?.resize?.();
  }
}
