// The dashboard page: keeps the cluster view in sync with the live feed (a full `state`, then
// `delta`s, see docs/dashboard.md) and redraws, once per animation frame at most, only the panels
// whose data changed (the task stream and the throughput chart at most every 0.5 s and 1 s, the
// heartbeat ages once a second). Every URL is relative to the page, so a path prefix or an SSH
// tunnel needs no configuration.
import { showTimeWindow, StreamChart, ThroughputChart } from './charts.js';
import { ProgressPanel, activeCount, forgetOldGroups, sum } from './progress.js';
import { WorkersTable, renderAlert, renderFailures, renderLog } from './tables.js';
import { ResultsPanel } from './results.js';
import { fmtRate, fmtTime } from './format.js';
import { SchedulerPanel } from './scheduler-stats.js';
import { MemoryPanel } from './memory.js';
import { OccupancyPanel } from './occupancy.js';
import { installWorkerPages, recordedFeed, showReport } from './replay.js';
import { GraphPanel } from './graph.js';
import { forgetGoneWorkers, workerLabels } from './worker-labels.js';

const view = {
  scheduler: '',
  /** server time minus browser time, so ages and the stream's "now" use the scheduler's clock */
  clockOffset: 0,
  workers: new Map(),
  /** what each worker is called, by id: its name, with its id where workers share a name (worker-labels.js) */
  labels: new Map(),
  groups: new Map(),
  /** the cluster's current run (groups with this `run` make the header's progress) */
  run: 0,
  failures: [],
  topics: new Map(),
  log: [],
  stream: [],
  rates: [],
  streamDropped: 0,
  /** `[time, bars left out]` per push that sampled the stream */
  streamDrops: [],
  /** scheduler time of the last message */
  lastMessage: 0,
};

const MAX_STREAM = 30000;
const MAX_LOG = 500;
const MAX_FAILURES = 500;
const STREAM_KEPT_MS = 5 * 60_000;
/** Least time between two redraws of the busiest charts (ms). */
const MIN_REDRAW = { stream: 500, rates: 1000 };

const stream = new StreamChart(document.getElementById('stream'));
const progress = new ProgressPanel(document.getElementById('progress'));
const throughput = new ThroughputChart(document.getElementById('throughput'));
const results = new ResultsPanel(document.getElementById('results'));
const workers = new WorkersTable(document.getElementById('workers'));
/**
 * Panels drawn from their own part of the feed (`views.<name>` of states and deltas): each has
 * setState(part), applyDelta(part), render({now, workers, labels}) (a no-op when nothing changed), resize().
 */
const panels = [
  new SchedulerPanel(document.getElementById('scheduler-stats'), document.getElementById('self')),
  new MemoryPanel(document.getElementById('memory')),
  new OccupancyPanel(document.getElementById('occupancy')),
  new GraphPanel(document.getElementById('graph')),
];

/** The feed of a performance report (replay mode), or undefined on the live dashboard. */
const recording = recordedFeed();

/** Panels whose data changed since they were last drawn. */
const dirty = new Set(['groups', 'workers', 'stream', 'rates', 'failures', 'log', 'topics', 'clock']);
const lastDraw = { stream: 0, rates: 0 };
const retryTimer = { stream: null, rates: null };

function serverNow() {
  // A report's clock stays at the end of its window.
  return recording?.end ?? Date.now() + view.clockOffset;
}

/** One feed message, live or replayed. */
function receive(m) {
  view.clockOffset = m.time - Date.now();
  view.lastMessage = m.time;
  if (m.type === 'state') {
    applyState(m);
    markStale(false);
  } else if (m.type === 'delta') applyDelta(m);
  scheduleRender();
}

function applyState(m) {
  view.scheduler = m.scheduler;
  view.workers = new Map(m.workers.map((w) => [w.id, w]));
  relabel();
  view.groups = new Map(m.groups.map((g) => [g.group, g]));
  forgetOldGroups(view.groups);
  view.run = m.run ?? 0;
  view.failures = m.failures;
  view.topics = new Map(Object.entries(m.topics));
  view.log = m.log;
  view.stream = m.stream;
  view.rates = m.rates;
  view.streamDropped = m.streamDropped;
  view.streamDrops = m.streamDrops ?? [];
  for (const p of panels) p.setState(m.views?.[p.name]);
  for (const k of ['groups', 'workers', 'stream', 'rates', 'failures', 'log', 'topics', 'header']) dirty.add(k);
}

function applyDelta(m) {
  for (const p of panels) if (m.views?.[p.name] !== undefined) p.applyDelta(m.views[p.name]);
  if (m.workers.length) {
    for (const w of m.workers) view.workers.set(w.id, w);
    forgetGoneWorkers(view.workers);
    dirty.add('workers');
    relabel();
  }
  if (m.groups.length) {
    for (const g of m.groups) view.groups.set(g.group, g);
    forgetOldGroups(view.groups);
    dirty.add('groups');
  }
  if (m.run !== undefined && m.run !== view.run) {
    view.run = m.run;
    dirty.add('groups');
  }
  const topics = Object.entries(m.topics);
  if (topics.length) {
    for (const [t, v] of topics) view.topics.set(t, v);
    dirty.add('topics');
    dirty.add('failures');
  }
  if (m.failures.length) {
    view.failures = view.failures.concat(m.failures).slice(-MAX_FAILURES);
    dirty.add('failures');
  }
  if (m.log.length) {
    view.log = view.log.concat(m.log).slice(-MAX_LOG);
    dirty.add('log');
  }
  if (m.stream.length) {
    view.stream = view.stream.concat(m.stream).slice(-MAX_STREAM);
    dirty.add('stream');
  }
  if (m.streamDrops?.length) {
    view.streamDrops.push(...m.streamDrops);
    dirty.add('stream');
  }
  view.streamDropped = m.streamDropped;
  while (view.streamDrops.length && view.streamDrops[0][0] < m.time - STREAM_KEPT_MS) view.streamDrops.shift();
  view.rates.push(m.rate);
  const cut = m.time - 10 * 60_000;
  while (view.rates.length && view.rates[0][0] < cut) view.rates.shift();
  dirty.add('rates');
}

/**
 * The workers' labels after their rows changed. When a worker's label changes (another of its
 * name appeared), what names workers is drawn again: the stream's rows, the log, the failures.
 */
function relabel() {
  const labels = workerLabels(view.workers.values());
  const changed = labels.size !== view.labels.size || [...labels].some(([id, l]) => view.labels.get(id) !== l);
  view.labels = labels;
  if (changed) for (const k of ['stream', 'log', 'failures']) dirty.add(k);
}

let pending = false;
function scheduleRender() {
  if (pending || !dirty.size) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

/** True when the chart `name` is due (its data changed and its least interval has passed). */
function due(name, t) {
  if (!dirty.has(name)) return false;
  if (t - lastDraw[name] < MIN_REDRAW[name]) {
    retryTimer[name] ??= setTimeout(() => {
      retryTimer[name] = null;
      scheduleRender();
    }, MIN_REDRAW[name] - (t - lastDraw[name]));
    return false;
  }
  lastDraw[name] = t;
  dirty.delete(name);
  return true;
}

function take(name) {
  return dirty.delete(name);
}

function render() {
  const now = serverNow();
  const t = performance.now();
  const clock = take('clock');
  const groupsChanged = take('groups');
  if (groupsChanged) progress.update([...view.groups.values()], view.run);
  if (take('workers')) workers.update([...view.workers.values()], now, view.labels);
  else if (clock) workers.tick([...view.workers.values()], now);
  if (clock && stream.movesWithTime(now)) dirty.add('stream');
  if (due('stream', t)) stream.update(view.stream, now, view.streamDrops, view.labels);
  if (due('rates', t)) throughput.update(view.rates);
  const failures = dirty.has('failures') ? view.failures.concat(results.reportedFailures(view.topics)) : null;
  if (take('failures')) {
    renderFailures(document.getElementById('failures'), failures, view.labels);
    document.getElementById('failures-count').textContent = failures.length ? `(${failures.length})` : '';
  }
  if (take('topics') || clock) results.update(view.topics, now);
  for (const p of panels) p.render({ now, workers: view.workers, labels: view.labels });
  if (take('log')) {
    renderLog(document.getElementById('log'), view.log, view.labels);
    renderAlert(document.getElementById('alert'), view.log);
  }
  take('header');
  renderHeader();
}

function setText(id, text) {
  const node = document.getElementById(id);
  if (node.textContent !== text) node.textContent = text;
}

/**
 * The header and the tab title: workers, the current run's progress (finished/total, erred and
 * cancelled apart, so the three add up to the total; tasks let go count as finished), tasks
 * executing now, throughput.
 */
function renderHeader() {
  const host = view.scheduler.replace(/^[a-z]+:\/\//, '');
  setText('scheduler', host);
  const run = [...view.groups.values()].filter((g) => g.run === view.run && g.total > 0);
  const { done, erred, cancelled, total } = sum(run);
  const active = run.some((g) => activeCount(g) > 0);
  let alive = 0, running = 0;
  for (const w of view.workers.values()) {
    if (!w.alive) continue;
    alive++;
    running += w.executing;
  }
  // Workers report what they execute at their heartbeats; nothing runs once nothing is assigned.
  let assigned = 0;
  for (const g of view.groups.values()) assigned += g.counts.processing;
  running = Math.min(running, assigned);
  const last = view.rates[view.rates.length - 1];
  const apart = `${erred ? ` · ${erred} erred` : ''}${cancelled ? ` · ${cancelled} cancelled` : ''}`;
  const tasks = total ? `${done}/${total} tasks done${apart}` : 'no tasks yet';
  setText('totals', `${alive} worker${alive === 1 ? '' : 's'} · ${tasks} · ${running} running · ${last ? fmtRate(last[1]) : '0'} tasks/s`);
  let status = '';
  const settled = done + erred + cancelled;
  if (total && active) status = `${Math.floor((settled / total) * 100)}% (${settled}/${total}) · `;
  else if (total) status = `${erred ? `✗ ${erred} erred` : '✓ done'} ${done}/${total}${cancelled ? ` · ${cancelled} cancelled` : ''} · `;
  const stale = document.body.classList.contains('stale') ? (silentSince ? 'no updates · ' : 'disconnected · ') : '';
  const title = `${stale}${status}Gluon scheduler ${host}`;
  // A performance report keeps the title it was given (replay.js).
  if (!recording && document.title !== title) document.title = title;
}

const conn = document.getElementById('conn');
let backoff = 250;
/**
 * The feed sends every 250 ms even when nothing changes, so an open feed this long without a
 * message means the scheduler is not answering (its process stopped or overloaded, or the link
 * cut): the page said "live" over a 15 s SIGSTOP of the scheduler (found by the freeze trial).
 */
const SILENT_MS = 5000;
/** When the open feed's last message arrived (this clock), and since when it has been silent (0: it is not). */
let lastArrival = 0;
let silentSince = 0;
/** The open feed (a WebSocket, or an EventSource after the fallback): readyState 1 is open for both. */
let liveSocket = null;
/**
 * How the feed travels: 'websocket', or 'sse' (Server-Sent Events on `events`, plain HTTP) once a
 * WebSocket failed to open while the dashboard itself answered: a proxy that strips upgrades, or
 * one that does not do WebSockets. The same messages either way.
 */
let transport = 'websocket';

/** The badge's words for each way the feed travels. */
const TRANSPORTS = {
  websocket: { text: 'live', title: 'Connected to the scheduler\'s live feed (WebSocket)' },
  sse: {
    text: 'live · SSE',
    title: 'Connected to the scheduler\'s live feed over Server-Sent Events (plain HTTP): the WebSocket upgrade did not get through. The figures are the same. '
      + 'For the WebSocket feed, the proxy in front must pass upgrades (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade").',
  },
};

function showLive() {
  conn.textContent = TRANSPORTS[transport].text;
  conn.className = 'conn up';
  conn.title = TRANSPORTS[transport].title;
  conn.dataset.transport = transport;
}

/** Checked once a second: an open feed silent for SILENT_MS is said, with its figures greyed out. */
function checkSilence(now) {
  if (!liveSocket || liveSocket.readyState !== 1 || !lastArrival || now - lastArrival < SILENT_MS) return;
  if (!silentSince) silentSince = lastArrival;
  document.body.classList.add('stale');
  const asOf = view.lastMessage ? `figures as of ${fmtTime(view.lastMessage)}` : 'no figures yet';
  conn.textContent = `no update for ${Math.round((now - lastArrival) / 1000)} s · ${asOf} · waiting…`;
  conn.className = 'conn down';
  conn.title = 'The live feed is open but nothing has arrived: the scheduler is not answering (its process stopped or overloaded, or the network between here and it cut). Figures are as of the time given.';
  renderHeader();
}
/** Why the feed cannot open, when the dashboard knows (a reverse proxy's configuration), else ''. */
let feedProblem = '';
/** The dashboard's words for those reasons (`Gluon-Feed-Problem` on api/state), as the badge says them. */
const FEED_PROBLEMS = {
  'upgrade-stripped': 'the proxy in front does not pass WebSocket upgrades (see the scheduler\'s log)',
  'origin-refused': 'the dashboard refused this page\'s address: give it with --allowed-host (see the scheduler\'s log)',
  'too-many-feeds': 'every live feed the dashboard serves is taken (--dashboard-max-feeds): close another page of it',
  'too-many-feeds-here': 'this address holds every live feed the dashboard serves to one (--dashboard-max-feeds-per-address): close another page of it here',
};
/** The badge's tooltip for each of those reasons. */
const FEED_PROBLEM_TITLES = {
  'upgrade-stripped': 'The live feed cannot open: the reverse proxy in front of the dashboard does not pass WebSocket upgrades (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"). The scheduler\'s log says the same.',
  'origin-refused': () => `The live feed cannot open: the dashboard refused this page's origin (${location.host}). Behind a reverse proxy, start the scheduler with --allowed-host ${location.hostname}. The scheduler's log says the same.`,
  'too-many-feeds': 'The live feed cannot open yet: the dashboard already serves as many live feeds (pages, performance reports) as it is allowed to (the scheduler\'s --dashboard-max-feeds, default 64). This page keeps trying; close another page of the dashboard, or raise the limit. The scheduler\'s log says the same.',
  'too-many-feeds-here': 'The live feed cannot open yet: this address (this machine, or everyone behind the same tunnel, NAT or untrusted proxy) already holds as many live feeds as the dashboard serves to one address (the scheduler\'s --dashboard-max-feeds-per-address, default 16). This page keeps trying; close another page of the dashboard here, or raise the limit. The scheduler\'s log says the same.',
};
/** The kind of `feedProblem` ('' for none). */
let feedProblemKind = '';

/**
 * How long an event stream may take to open. A proxy that buffers whole responses holds the
 * stream's headers for ever: no error, no open, and the page sat at 'disconnected … retrying…'
 * without retrying. Past this bound the page gives it up and tries again, and says why.
 */
const STREAM_OPEN_MS = 10_000;
/** True once an event stream failed to open within STREAM_OPEN_MS (until a feed opens). */
let streamStalled = false;
const STREAM_STALLED = `the event stream did not open within ${STREAM_OPEN_MS / 1000} s: a proxy in front may buffer whole responses (nginx: proxy_buffering off)`;

/** While the feed is down the figures are last known, not live: say so and grey them out. */
function markStale(stale) {
  document.body.classList.toggle('stale', stale);
  if (stale) {
    const why = [feedProblem, streamStalled ? STREAM_STALLED : ''].filter(Boolean).map((w) => `${w} · `).join('');
    conn.textContent = view.lastMessage ? `disconnected · ${why}figures as of ${fmtTime(view.lastMessage)} · retrying…` : `disconnected, ${why}retrying…`;
    conn.className = 'conn down';
    const title = FEED_PROBLEM_TITLES[feedProblemKind];
    conn.title = typeof title === 'function' ? title()
      : title ?? 'The live feed is down; everything shown is as of the time given and may be out of date';
  }
  renderHeader();
}

/** The feed opened (either transport). */
function opened() {
  backoff = 250;
  feedProblem = '';
  feedProblemKind = '';
  streamStalled = false;
  lastArrival = Date.now();
  showLive();
}

/** One message of the open feed (either transport). */
function arrived(data) {
  lastArrival = Date.now();
  if (silentSince) {
    // The scheduler answers again: the feed was never closed, so no full state comes to clear it.
    silentSince = 0;
    document.body.classList.remove('stale');
    showLive();
  }
  receive(JSON.parse(data));
}

/**
 * The feed closed, or never opened (`wasOpen` false). A feed refused before opening asks the
 * dashboard why: a session no longer valid (the scheduler restarted with another token) reloads
 * to the login form; a WebSocket that failed while the dashboard answers over plain HTTP is a
 * proxy's doing (it stripped the upgrade, or does not do WebSockets), so the feed goes over
 * Server-Sent Events instead, unless the dashboard refused this page's origin, which only
 * --allowed-host fixes. An event stream that fails to open goes back to trying the WebSocket.
 */
function lost(wasOpen) {
  silentSince = 0;
  liveSocket = null;
  markStale(true);
  const retry = () => {
    setTimeout(connect, backoff);
    backoff = Math.min(5000, backoff * 2);
  };
  if (wasOpen) return retry();
  const tried = transport;
  fetch('api/state', { method: 'HEAD' }).then((r) => {
    if (r.status === 401) return location.reload();
    const kind = r.headers.get('Gluon-Feed-Problem') ?? '';
    const problem = FEED_PROBLEMS[kind] ?? '';
    if (problem !== feedProblem) {
      feedProblem = problem;
      feedProblemKind = problem ? kind : '';
      if (document.body.classList.contains('stale')) markStale(true);
    }
    // Feeds all taken: the event stream would be refused too; wait for one on this transport.
    if (tried === 'websocket' && r.ok && kind !== 'origin-refused' && kind !== 'too-many-feeds' && kind !== 'too-many-feeds-here') {
      transport = 'sse';
      return connect();
    }
    if (tried === 'sse') transport = 'websocket';
    retry();
  }, retry);
}

function connect() {
  if (transport === 'sse') return connectEvents();
  const url = new URL('live', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  let open = false;
  liveSocket = ws;
  ws.onopen = () => {
    open = true;
    opened();
  };
  ws.onmessage = (ev) => arrived(ev.data);
  ws.onclose = () => lost(open);
}

/** The feed over Server-Sent Events (`events`, relative like every URL here: the prefix holds). */
function connectEvents() {
  const es = new EventSource('events');
  let open = false;
  let done = false;
  liveSocket = es;
  const watchdog = setTimeout(() => {
    if (open || done) return;
    streamStalled = true;
    end();
  }, STREAM_OPEN_MS);
  const end = () => {
    if (done) return;
    done = true;
    clearTimeout(watchdog);
    // EventSource would reconnect on its own, with none of the checks above: this page decides.
    es.close();
    lost(open);
  };
  es.onopen = () => {
    open = true;
    clearTimeout(watchdog);
    opened();
  };
  es.onmessage = (ev) => arrived(ev.data);
  // The dashboard let this feed go (closing, or the page stopped reading): as a WebSocket's close.
  es.addEventListener('close', end);
  es.onerror = end;
}

// Ages ("heartbeat 0.4 s ago") and the stream's time window move even when nothing arrives.
setInterval(() => {
  dirty.add('clock');
  scheduleRender();
  checkSilence(Date.now());
}, 1000);
function redrawAll() {
  stream.resize();
  progress.resize();
  throughput.resize();
  results.resize();
  for (const p of panels) p.resize();
  for (const k of ['groups', 'stream', 'rates']) dirty.add(k);
  scheduleRender();
}
window.addEventListener('resize', redrawAll);
// Charts read their colours from the theme: redraw them when it flips.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  progress.rebuild();
  stream.rebuild();
  throughput.rebuild();
  redrawAll();
});
if (recording) {
  // A report's task stream shows, and zooms over, its whole window, not just the last minutes.
  if (!recording.error) stream.maxWindowMs = stream.retainedMs = Math.max(stream.maxWindowMs, (recording.end - recording.start) * 1.1);
  // The time charts (throughput, memory, the scheduler's figures) show the report's window whole.
  if (!recording.error) showTimeWindow(recording.start, recording.end);
  showReport(recording, conn);
  for (const m of recording.messages ?? []) receive(m);
  if (!recording.error) installWorkerPages(recording);
} else {
  connect();
}
