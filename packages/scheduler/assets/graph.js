// The task graph (views.graph of the feed): every task the scheduler holds as a node coloured by
// its state, dependencies as edges, laid out in layers left to right (a task right of all its
// dependencies); for graphs over the scheduler's limit (3,000 tasks) only the groups graph: one
// node per group with its counts by state, one edge per pair of groups. The layout is computed
// when the structure changes; a change of states only repaints.
import { el, fmtRate } from './format.js';
import { GRAPH_NODE } from './palette.js';
import { themeColor } from './charts.js';
import { arrange, layout } from './graph-layout.js';

/** Task states by their one-letter code in the feed; fills are the Progress panel's colours (palette.js). */
export const GRAPH_STATES = [
  ['w', 'waiting', 'waiting for its inputs'],
  ['q', 'queued', 'ready to run, waiting for a free worker'],
  ['p', 'processing', 'assigned to a worker'],
  ['m', 'in memory', 'finished; its result is held'],
  ['e', 'erred', 'failed, or an input it needed failed'],
  ['r', 'released', 'not held: not started, or its result was let go (drawn hollow)'],
];
const CODES = GRAPH_STATES.map((s) => s[0]).join('');
/** The page's theme, for the graph's outline colour. */
function theme() {
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** A count as text: exact below 10,000, else 12k. */
function count(n) {
  return n < 10_000 ? n.toLocaleString('en') : fmtRate(n);
}

export class GraphPanel {
  constructor(container) {
    this.name = 'graph';
    this.container = container;
    this.g = { mode: 'tasks', total: 0, tasks: null, states: '', groups: { names: [], counts: [], edges: [] } };
    this.show = 'tasks';
    this.dirty = false;
    this.structure = true;
    this.note = el('span', { class: 'muted graph-note' });
    this.tasksBtn = el('button', { type: 'button', class: 'graph-show-tasks' }, 'Tasks');
    this.groupsBtn = el('button', { type: 'button', class: 'graph-show-groups' }, 'Groups');
    this.tasksBtn.onclick = () => this.choose('tasks');
    this.groupsBtn.onclick = () => this.choose('groups');
    this.canvas = el('canvas', { class: 'graph-canvas' });
    this.tip = el('div', { class: 'stream-tip', role: 'tooltip' });
    this.tip.hidden = true;
    this.swatches = GRAPH_STATES.map(([c]) => el('i', { style: `background:${GRAPH_NODE.fill[c] ?? 'transparent'}`, 'data-state': c }));
    const legend = el('div', { class: 'legend graph-legend' }, ...GRAPH_STATES.map(([, label, tip], i) => el('span', { title: tip }, this.swatches[i], label)));
    const box = el('div', { class: 'graph-box' }, this.canvas, this.tip);
    container.append(el('div', { class: 'stream-controls' }, this.tasksBtn, this.groupsBtn, this.note), box, legend);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
    container.nodeCenter = (key) => this.nodeCenter(key);
    container.drawn = () => this.drawn();
  }

  choose(what) {
    this.show = what;
    this.structure = true;
    this.dirty = true;
    this.render();
  }

  setState(s) {
    this.g = { mode: 'tasks', total: 0, tasks: null, states: '', groups: { names: [], counts: [], edges: [] }, ...(s ?? {}) };
    this.structure = this.dirty = true;
  }

  applyDelta(d) {
    if ('tasks' in d || 'mode' in d || 'groups' in d) this.structure = true;
    Object.assign(this.g, d);
    this.dirty = true;
  }

  /** The nodes shown: tasks (with their state codes) or groups. */
  shown() {
    return this.g.mode === 'tasks' && this.show === 'tasks' && this.g.tasks ? 'tasks' : 'groups';
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const what = this.shown();
    this.tasksBtn.disabled = this.g.mode !== 'tasks';
    this.tasksBtn.classList.toggle('on', what === 'tasks');
    this.groupsBtn.classList.toggle('on', what === 'groups');
    this.note.textContent = this.g.mode === 'groups'
      ? `${count(this.g.total)} tasks: over the 3,000 drawn one by one, so one node per group`
      : `${this.g.total} task${this.g.total === 1 ? '' : 's'}`;
    if (this.structure) {
      this.structure = false;
      if (what === 'tasks') this.lay = layout(this.g.tasks.keys.length, this.g.tasks.edges);
      else {
        const ge = [];
        for (const [a, b] of this.g.groups.edges) ge.push(a, b);
        this.lay = layout(this.g.groups.names.length, ge);
      }
      this.place(what);
    }
    this.paint(what);
    this.describe(what);
  }

  /** Node positions in CSS px for the current layout and the panel's width (graph-layout.js). */
  place(what) {
    const width = Math.max(240, this.container.clientWidth || 600);
    const n = what === 'tasks' ? this.g.tasks.keys.length : this.g.groups.names.length;
    const opts = what === 'tasks'
      ? { width, height: [200, 560], cells: [18, 16, 14, 12, 10, 9, 8, 7, 6].map((c) => [c, c]), gap: [1, 140], pad: [12, 20] }
      : { width, height: [160, 560], cells: [[150, 50]], gap: [0.3, 120], pad: [10, 30] };
    const at = arrange(this.lay, n, opts);
    // A node's disc, outline included, stays inside its cell: no two nodes touch.
    this.pos = { ...at, r: Math.min(7, 0.38 * Math.min(...at.cell)) };
  }

  paint(what) {
    const { x, y, width, height, r } = this.pos;
    // A canvas side over 32,767 device px is not drawn at all (a very deep graph is wide).
    const dpr = Math.min(devicePixelRatio || 1, 32_000 / Math.max(width, height));
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    // A tooltip would describe what was there before.
    this.tip.hidden = true;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    this.theme = theme();
    const outline = GRAPH_NODE.outline[this.theme];
    for (const s of this.swatches) s.style.boxShadow = `inset 0 0 0 1px ${outline}`;
    ctx.strokeStyle = 'rgba(120, 128, 140, 0.45)';
    if (what === 'tasks') {
      const { edges } = this.g.tasks;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 0; i < edges.length; i += 2) {
        ctx.moveTo(x[edges[i]], y[edges[i]]);
        ctx.lineTo(x[edges[i + 1]], y[edges[i + 1]]);
      }
      ctx.stroke();
      const states = this.g.states;
      // Hollow nodes are filled with the panel's colour, so the edges under them do not show through.
      const panel = themeColor('--panel');
      ctx.strokeStyle = outline;
      // Over 1 px, so anti-aliasing does not thin it below its contrast.
      ctx.lineWidth = 1.25;
      for (let i = 0; i < x.length; i++) {
        ctx.fillStyle = GRAPH_NODE.fill[states[i] ?? 'r'] ?? panel;
        ctx.beginPath();
        ctx.arc(x[i], y[i], r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
      return;
    }
    const { names, counts, edges } = this.g.groups;
    const max = Math.max(1, ...edges.map((e) => e[2]));
    // Group boxes in the page's theme, so they stay readable in dark mode.
    const box = themeColor('--panel');
    const edge = themeColor('--muted');
    const ink = themeColor('--ink');
    for (const [a, b, n] of edges) {
      ctx.lineWidth = 1 + 5 * Math.log1p(n) / Math.log1p(max);
      ctx.beginPath();
      if (a === b) {
        ctx.arc(x[a], y[a] - 22, 10, 0, 2 * Math.PI);
      } else {
        ctx.moveTo(x[a], y[a]);
        ctx.lineTo(x[b], y[b]);
      }
      ctx.stroke();
    }
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    names.forEach((name, i) => {
      const c = counts[i];
      const total = c.reduce((s, v) => s + v, 0);
      const w = 130, h = 34;
      const left = x[i] - w / 2, top = y[i] - h / 2;
      ctx.fillStyle = box;
      ctx.strokeStyle = edge;
      ctx.lineWidth = 1;
      ctx.fillRect(left, top, w, h);
      ctx.strokeRect(left, top, w, h);
      // A stacked bar of the group's tasks by state along the bottom, outlined like the task
      // nodes; released tasks are its hollow part.
      let at = left;
      c.forEach((v, s) => {
        const fill = GRAPH_NODE.fill[CODES[s]];
        const bw = (v / Math.max(1, total)) * w;
        if (v && fill) {
          ctx.fillStyle = fill;
          ctx.fillRect(at, top + h - 8, bw, 8);
        }
        at += bw;
      });
      ctx.strokeStyle = outline;
      ctx.strokeRect(left + 0.5, top + h - 8.5, w - 1, 8);
      ctx.fillStyle = ink;
      ctx.fillText(`${name.length > 18 ? `${name.slice(0, 17)}…` : name} (${count(total)})`, x[i], top + 15);
    });
  }

  /** What is drawn, for people who read numbers and for tests. */
  describe(what) {
    const d = this.container.dataset;
    d.mode = this.g.mode;
    d.shown = what;
    d.theme = this.theme;
    d.total = String(this.g.total);
    const { names, counts, edges } = this.g.groups;
    d.groups = JSON.stringify(names.map((name, i) => ({ name, counts: Object.fromEntries([...CODES].map((c, s) => [c, counts[i][s]])) })));
    d.groupEdges = JSON.stringify(edges.map(([a, b, n]) => [names[a], names[b], n]));
    if (what === 'tasks') {
      const tally = {};
      for (const c of this.g.states) tally[c] = (tally[c] ?? 0) + 1;
      d.nodes = String(this.g.tasks.keys.length);
      d.edges = String(this.g.tasks.edges.length / 2);
      d.states = JSON.stringify(tally);
    } else {
      d.nodes = String(names.length);
      d.edges = String(edges.length);
      d.states = '';
    }
  }

  /** The node under the pointer (within a few px), or -1. */
  hit(ox, oy) {
    if (!this.pos) return -1;
    const { x, y, r } = this.pos;
    const groups = this.shown() === 'groups';
    let best = -1, bestD = Infinity;
    for (let i = 0; i < x.length; i++) {
      const dx = Math.abs(x[i] - ox), dy = Math.abs(y[i] - oy);
      if (groups ? dx > 65 || dy > 17 : dx > r + 3 || dy > r + 3) continue;
      const dist = dx * dx + dy * dy;
      if (dist < bestD) best = i, bestD = dist;
    }
    return best;
  }

  hover(e) {
    const i = this.hit(e.offsetX, e.offsetY);
    if (i < 0) return (this.tip.hidden = true);
    let lines;
    if (this.shown() === 'tasks') {
      const t = this.g.tasks;
      const code = this.g.states[i];
      lines = [['key', t.keys[i]], ['group', t.groups[t.group[i]]], ['state', GRAPH_STATES.find((s) => s[0] === code)?.[1] ?? code]];
    } else {
      const c = this.g.groups.counts[i];
      lines = [['group', this.g.groups.names[i]], ...GRAPH_STATES.map(([, label], s) => [label, String(c[s])]).filter(([, v]) => v !== '0')];
    }
    this.tip.replaceChildren(...lines.map(([k, v]) => el('div', {}, el('b', {}, `${k} `), v)));
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(e.offsetX + 14, this.pos.width - this.tip.offsetWidth - 4)}px`;
    this.tip.style.top = `${e.offsetY + 14}px`;
  }

  /** Client px of a task's node (by key), or null when it is not drawn. */
  nodeCenter(key) {
    if (this.shown() !== 'tasks' || !this.pos) return null;
    const i = this.g.tasks.keys.indexOf(key);
    if (i < 0) return null;
    const box = this.canvas.getBoundingClientRect();
    return { x: box.left + this.pos.x[i], y: box.top + this.pos.y[i] };
  }

  /**
   * What the task view drew, in canvas px: the canvas size, the node radius, each node as
   * [key, x, y, state code] and the edges as [from, to] node indices (null in the groups view).
   */
  drawn() {
    if (this.shown() !== 'tasks' || !this.pos) return null;
    const { x, y, width, height, r } = this.pos;
    const t = this.g.tasks;
    const edges = [];
    for (let i = 0; i < t.edges.length; i += 2) edges.push([t.edges[i], t.edges[i + 1]]);
    return { width, height, r, nodes: t.keys.map((k, i) => [k, x[i], y[i], this.g.states[i]]), edges };
  }

  resize() {
    this.structure = this.dirty = true;
  }
}
