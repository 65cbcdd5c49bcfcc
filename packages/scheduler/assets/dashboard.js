// The dashboard page: keeps the cluster view in sync with the live feed (a full `state`, then
// `delta`s, see docs/dashboard.md) and redraws the panels at most once per animation frame.
// Every URL is relative to the page, so a path prefix or an SSH tunnel needs no configuration.
import { ProgressChart, StreamChart, ThroughputChart } from './charts.js';
import { renderFailures, renderLog, renderWorkers } from './tables.js';
import { ResultsPanel } from './results.js';
import { fmtRate } from './format.js';
import { SchedulerPanel } from './scheduler-stats.js';
import { MemoryPanel } from './memory.js';
import { OccupancyPanel } from './occupancy.js';
import { recordedFeed, showReport } from './replay.js';
import { GraphPanel } from './graph.js';

const view = {
  scheduler: '',
  /** server time minus browser time, so ages and the stream's "now" use the scheduler's clock */
  clockOffset: 0,
  workers: new Map(),
  groups: new Map(),
  failures: [],
  topics: new Map(),
  log: [],
  stream: [],
  rates: [],
  streamDropped: 0,
};

const MAX_STREAM = 30000;
const MAX_LOG = 500;
const MAX_FAILURES = 500;

const stream = new StreamChart(document.getElementById('stream'));
const progress = new ProgressChart(document.getElementById('progress'));
const throughput = new ThroughputChart(document.getElementById('throughput'));
const results = new ResultsPanel(document.getElementById('results'));
/**
 * Panels drawn from their own part of the feed (`views.<name>` of states and deltas): each has
 * setState(part), applyDelta(part), render({now, workers}) (a no-op when nothing changed), resize().
 */
const panels = [
  new SchedulerPanel(document.getElementById('scheduler-stats'), document.getElementById('self')),
  new MemoryPanel(document.getElementById('memory')),
  new OccupancyPanel(document.getElementById('occupancy')),
  new GraphPanel(document.getElementById('graph')),
];

/** The feed of a performance report (replay mode), or undefined on the live dashboard. */
const recording = recordedFeed();

function serverNow() {
  // A report's clock stays at the end of its window.
  return recording?.end ?? Date.now() + view.clockOffset;
}

/** One feed message, live or replayed. */
function receive(m) {
  view.clockOffset = m.time - Date.now();
  if (m.type === 'state') applyState(m);
  else if (m.type === 'delta') applyDelta(m);
  scheduleRender();
}

function applyState(m) {
  view.scheduler = m.scheduler;
  view.workers = new Map(m.workers.map((w) => [w.id, w]));
  view.groups = new Map(m.groups.map((g) => [g.group, g]));
  view.failures = m.failures;
  view.topics = new Map(Object.entries(m.topics));
  view.log = m.log;
  view.stream = m.stream;
  view.rates = m.rates;
  view.streamDropped = m.streamDropped;
  for (const p of panels) p.setState(m.views?.[p.name]);
}

function applyDelta(m) {
  for (const p of panels) if (m.views?.[p.name] !== undefined) p.applyDelta(m.views[p.name]);
  for (const w of m.workers) view.workers.set(w.id, w);
  for (const g of m.groups) view.groups.set(g.group, g);
  for (const [t, v] of Object.entries(m.topics)) view.topics.set(t, v);
  if (m.failures.length) view.failures = view.failures.concat(m.failures).slice(-MAX_FAILURES);
  if (m.log.length) view.log = view.log.concat(m.log).slice(-MAX_LOG);
  if (m.stream.length) view.stream = view.stream.concat(m.stream).slice(-MAX_STREAM);
  view.rates.push(m.rate);
  const cut = m.time - 10 * 60_000;
  while (view.rates.length && view.rates[0][0] < cut) view.rates.shift();
  view.streamDropped = m.streamDropped;
}

const signatures = new Map();
/** True when `parts` differ from the last call with the same name. */
function changed(name, ...parts) {
  const sig = parts.join('|');
  if (signatures.get(name) === sig) return false;
  signatures.set(name, sig);
  return true;
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

function render() {
  const now = serverNow();
  document.getElementById('scheduler').textContent = view.scheduler;
  const groups = [...view.groups.values()];
  let total = 0, memory = 0, erred = 0, processing = 0;
  for (const g of groups) {
    total += g.total;
    memory += g.counts.memory;
    erred += g.counts.erred;
    processing += g.counts.processing;
  }
  const alive = [...view.workers.values()].filter((w) => w.alive).length;
  const last = view.rates[view.rates.length - 1];
  document.getElementById('totals').textContent =
    `${alive} worker${alive === 1 ? '' : 's'} · ${memory + erred}/${total} tasks done · ${processing} running · ${erred} erred · ${last ? fmtRate(last[1]) : '0'} tasks/s`;
  progress.update(groups);
  stream.update(view.stream, now, view.streamDropped);
  throughput.update(view.rates);
  renderWorkers(document.getElementById('workers'), [...view.workers.values()], now);
  const failures = view.failures.concat(results.reportedFailures(view.topics));
  // Lists are rebuilt only when they changed, so a stack being selected for copying survives.
  if (changed('failures', failures.length, failures[failures.length - 1]?.time)) {
    renderFailures(document.getElementById('failures'), failures);
    document.getElementById('failures-count').textContent = failures.length ? `(${failures.length})` : '';
  }
  results.update(view.topics, now);
  for (const p of panels) p.render({ now, workers: view.workers });
  if (changed('log', view.log.length, view.log[view.log.length - 1]?.time)) renderLog(document.getElementById('log'), view.log);
}

const conn = document.getElementById('conn');
let backoff = 250;

function connect() {
  const url = new URL('live', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  ws.onopen = () => {
    backoff = 250;
    conn.textContent = 'live';
    conn.className = 'conn up';
  };
  ws.onmessage = (ev) => receive(JSON.parse(ev.data));
  let opened = false;
  ws.addEventListener('open', () => (opened = true));
  ws.onclose = () => {
    // Refused before opening: if the session is no longer valid (the scheduler restarted with
    // another token), reloading shows the login form instead of retrying forever.
    if (!opened) {
      fetch('api/state', { method: 'HEAD' }).then((r) => {
        if (r.status === 401) location.reload();
      }, () => {});
    }
    conn.textContent = 'disconnected, retrying…';
    conn.className = 'conn down';
    setTimeout(connect, backoff);
    backoff = Math.min(5000, backoff * 2);
  };
}

// Ages ("heartbeat 0.4 s ago") and the stream's time window move even when nothing arrives.
setInterval(scheduleRender, 1000);
window.addEventListener('resize', () => {
  stream.resize();
  progress.resize();
  throughput.resize();
  results.resize();
  for (const p of panels) p.resize();
  scheduleRender();
});
if (recording) {
  // A report's task stream shows, and zooms over, its whole window, not just the last minutes.
  if (!recording.error) stream.maxWindowMs = stream.retainedMs = Math.max(stream.maxWindowMs, (recording.end - recording.start) * 1.1);
  showReport(recording, conn);
  for (const m of recording.messages ?? []) receive(m);
} else {
  connect();
}
