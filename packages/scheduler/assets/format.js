// Small formatting helpers shared by the panels.

export { groupColor } from './palette.js';

export function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)} ${u[i]}`;
}

export function fmtRate(r) {
  if (!Number.isFinite(r)) return '0';
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M`;
  if (r >= 1e4) return `${(r / 1e3).toFixed(0)}k`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r >= 10 ? r.toFixed(0) : r.toFixed(1);
}

export function fmtAge(ms) {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function fmtTime(ms) {
  const d = new Date(ms);
  return d.toTimeString().slice(0, 8);
}

/** Creates an element with attributes/properties and children (strings become text nodes). */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

/** Width available to a chart inside `container` (uPlot needs pixels). */
export function widthOf(container) {
  return Math.max(240, Math.floor(container.clientWidth || container.parentElement?.clientWidth || 600));
}

/**
 * A link to a worker's own page (`worker?id=…`, relative like every URL of the dashboard), shown
 * as its name. By id, not name: two workers started with the same --name are two pages.
 */
export function workerLink(id, name) {
  return el('a', { href: `worker?id=${encodeURIComponent(id)}`, class: 'worker-link', title: workerLinkTitle(name) }, name);
}

/** The tooltip of a worker's link. */
export function workerLinkTitle(name) {
  return `${name}: its tasks, results, transfers and log`;
}

/** Most characters of a name on a chart's 150 px label axis (12 px text). */
export const AXIS_LABEL_CHARS = 20;

/**
 * A group or worker name as a chart's label axis shows it: on one line (uPlot draws a line per
 * '\n', over the next row's label), control characters and whitespace runs as one space, as the
 * tables show them; a longer name keeps its start and end around '…' (uPlot does not clip to
 * the axis, so a long name lost its start off the canvas's edge). The tables give it whole.
 */
export function axisLabel(name, max = AXIS_LABEL_CHARS) {
  const line = String(name).replace(/[\s\p{Cc}]+/gu, ' ').trim();
  const chars = [...line];
  if (chars.length <= max) return line;
  const tail = Math.floor((max - 1) / 2);
  return `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
