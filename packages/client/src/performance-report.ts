import { accessSync, constants, renameSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, dirname, resolve } from 'node:path';
import { jsonForScript, REPORT_MAX_WORKER_PAGES, REPORT_SHELL_PATH, REPORT_SLOT, WebSocket, clientTlsOptions, type ClientTlsOptions } from '@gluon/protocol';
import { FeedRecorder, type ReportLimits } from './report-recorder.js';
import { checkOptionKeys, type OptionKeys } from '@gluon/protocol';

/** Options of `client.performanceReport`. */
export interface PerformanceReportOptions {
  /** the page's title; default the file's name. */
  title?: string;
  /** bounds on what the report keeps (see {@link FeedRecorder}). */
  limits?: Partial<ReportLimits>;
  /** how long to wait for the dashboard's feed to open and to catch up at the end; default 30 s. */
  timeoutMs?: number;
}

const REPORT_OPTIONS: OptionKeys<PerformanceReportOptions> = { title: true, limits: true, timeoutMs: true };
const LIMIT_OPTIONS: OptionKeys<ReportLimits> = { maxBars: true, maxBytes: true };

/** How to reach the dashboard: its URL (announced by the scheduler) and the client's token and TLS material. */
export interface DashboardLink {
  dashboardUrl: string | undefined;
  scheduler: string;
  token?: string;
  tls?: ClientTlsOptions;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * Feed messages (4 a second) recorded after the work ended: its last completions arrive in the
 * next one, and within 1.5 s every worker has sent a heartbeat (at most 1 s apart), so the
 * report's worker figures are those of the end of the work, not of its middle.
 */
const SETTLE_MESSAGES = 6;

/**
 * Runs `work`, recording the dashboard's live feed meanwhile, and writes one self-contained HTML
 * file to `path`: the dashboard's own page and assets with the recording, replayed offline. The
 * report is written when `work` fails too (then the failure is rethrown after it).
 */
export async function performanceReport<T>(link: DashboardLink, path: string, work: () => Promise<T>, opts: PerformanceReportOptions = {}): Promise<T> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`performanceReport: the report's path must be a file name, got ${JSON.stringify(path)}`);
  if (typeof work !== 'function') throw new TypeError('performanceReport: the second argument must be the async function to record');
  checkOptionKeys(opts, REPORT_OPTIONS, 'performanceReport');
  checkOptionKeys(opts.limits, LIMIT_OPTIONS, 'performanceReport: limits', 'limit');
  const file = resolve(path);
  checkWritable(file);
  if (!link.dashboardUrl) {
    throw new Error(`performanceReport: the scheduler at ${link.scheduler} serves no dashboard (it runs with --no-dashboard); the report is made from the dashboard's feed`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const recorder = new FeedRecorder(opts.limits);
  const feed = new FeedTap(link, recorder, timeoutMs);
  await feed.open();
  let result: T | undefined;
  let failure: { error: unknown } | undefined;
  try {
    result = await work();
  } catch (error) {
    failure = { error };
  }
  try {
    await feed.settle(SETTLE_MESSAGES);
  } finally {
    feed.close();
  }
  const shell = (await fetchText(new URL(REPORT_SHELL_PATH, link.dashboardUrl), link, timeoutMs))!;
  if (!shell.includes(REPORT_SLOT)) throw new Error(`performanceReport: the dashboard at ${link.dashboardUrl} served a report page without its recording slot (a dashboard of another version?)`);
  const recording = recorder.recording(opts.title ?? basename(file), link.scheduler);
  const ids = recorder.workerIds();
  recording.workerPages = await workerPages(link, ids.slice(0, REPORT_MAX_WORKER_PAGES), timeoutMs);
  if (ids.length > REPORT_MAX_WORKER_PAGES) recording.bounds.workerPagesLeftOut = ids.length - REPORT_MAX_WORKER_PAGES;
  const html = shell.replace(REPORT_SLOT, () => jsonForScript(recording));
  // Written whole or not at all: a reader never sees half a report.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, html);
  renameSync(tmp, file);
  if (failure) throw failure.error;
  return result as T;
}

/**
 * Each worker's own page (`api/worker?id=…`) as the dashboard has it now, by worker id (workers
 * may share a name). A worker the dashboard no longer knows, or a dashboard without worker pages,
 * is left out (its links in the report then say so); any other failure is an error.
 */
async function workerPages(link: DashboardLink, ids: string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await Promise.all(ids.map(async (id) => {
    const url = new URL(`api/worker?id=${encodeURIComponent(id)}`, link.dashboardUrl);
    const text = await fetchText(url, link, timeoutMs, [404]);
    if (text !== undefined) out[id] = JSON.parse(text) as unknown;
  }));
  return out;
}

/** Refuses, before any work runs, a path whose directory is missing or not writable. */
function checkWritable(file: string): void {
  const dir = dirname(file);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new Error(`performanceReport: cannot write ${file}: its directory ${dir} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `is not writable (${(e as Error).message})`}`);
  }
  try {
    if (statSync(file).isDirectory()) throw new Error(`performanceReport: ${file} is a directory; give a file name such as ${file}/report.html`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function authHeaders(link: DashboardLink): Record<string, string> {
  return link.token ? { authorization: `Bearer ${link.token}` } : {};
}


/** The dashboard's live feed, into a recorder; reopened for a fresh state when the recorder asks. */
class FeedTap {
  private ws: WebSocket | undefined;
  private received = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private error: Error | undefined;
  private restarting = false;

  constructor(private readonly link: DashboardLink, private readonly recorder: FeedRecorder, private readonly timeoutMs: number) {}

  /** Opens the feed; resolves once its first message (a full state) is recorded. */
  open(): Promise<void> {
    return this.connect((m) => this.recorder.add(m));
  }

  private connect(first: (m: Msg) => void): Promise<void> {
    const url = new URL('live', this.link.dashboardUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, { headers: authHeaders(this.link), ...clientTlsOptions(this.link.tls), maxPayload: 1 << 30 });
    let gotFirst = false;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`performanceReport: the dashboard's feed at ${url.href} sent nothing within ${this.timeoutMs} ms`)), this.timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(e);
      };
      ws.on('unexpected-response', (_req, res) => {
        if (res.statusCode === 401) return fail(new Error(`performanceReport: cannot open the dashboard's feed at ${url.href}: it refused the client's token (give the scheduler's token: GLUON_TOKEN or the token option)`));
        // The dashboard's own refusals are a line of text saying why (503: every feed it serves is taken).
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { if (body.length < 1024) body += d; });
        const done = () => fail(new Error(`performanceReport: cannot open the dashboard's feed at ${url.href}: HTTP ${res.statusCode}${body.trim() ? `: ${body.trim().slice(0, 1024)}` : ''}`));
        res.on('end', done);
        res.on('error', done);
      });
      ws.on('error', (e) => {
        if (!gotFirst) fail(new Error(`performanceReport: cannot open the dashboard's feed at ${url.href}: ${e.message}`));
        else this.error = e;
      });
      ws.on('message', (data) => {
        let m: Msg;
        try {
          m = JSON.parse(String(data)) as Msg;
        } catch (e) {
          this.error = new Error(`performanceReport: the dashboard's feed sent a message that is not JSON (${(e as Error).message})`);
          return;
        }
        if (!gotFirst) {
          gotFirst = true;
          clearTimeout(timer);
          first(m);
          if (this.ws && this.ws !== ws) this.ws.terminate();
          this.ws = ws;
          resolve();
        } else if (ws === this.ws) {
          this.recorder.add(m);
        } else {
          return;
        }
        this.received++;
        this.waiters = this.waiters.filter((w) => (this.received >= w.count ? (w.resolve(), false) : true));
        if (this.recorder.needsRestart && !this.restarting) this.restart();
      });
      ws.on('close', () => {
        if (!gotFirst) return fail(new Error(`performanceReport: the dashboard's feed at ${url.href} closed before sending anything`));
        if (ws !== this.ws) return; // replaced by a restart, or closed by us
        // The scheduler went away: the recording ends here.
        for (const w of this.waiters) w.resolve();
        this.waiters = [];
      });
    });
  }

  /** Over the byte bound: a second connection's first message is a fresh state to restart from. */
  private restart(): void {
    this.restarting = true;
    this.connect((m) => this.recorder.restart(m)).catch((e: Error) => {
      this.error = e;
    }).finally(() => {
      this.restarting = false;
    });
  }

  /** Waits for `n` more messages (bounded by the timeout), so the work's last events are recorded. */
  settle(n: number): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    const count = this.received + n;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`performanceReport: the dashboard's feed sent nothing for ${this.timeoutMs} ms after the work ended`)), this.timeoutMs);
      this.waiters.push({ count, resolve: () => {
        clearTimeout(timer);
        if (this.error) reject(this.error);
        else resolve();
      } });
    });
  }

  close(): void {
    this.ws?.terminate();
    this.ws = undefined;
  }
}

type Msg = Record<string, unknown> & { type: string; time: number };

/**
 * GET `url` with the client's token and TLS material: the body as text; undefined for a status in
 * `absent`; otherwise an error naming the status.
 */
function fetchText(url: URL, link: DashboardLink, timeoutMs: number, absent: number[] = []): Promise<string | undefined> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { headers: authHeaders(link), ...clientTlsOptions(link.tls), timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolvePromise(body);
        else if (absent.includes(res.statusCode ?? 0)) resolvePromise(undefined);
        else reject(new Error(`performanceReport: the dashboard at ${url.href} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`performanceReport: the dashboard at ${url.href} did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e.message.startsWith('performanceReport') ? e : new Error(`performanceReport: cannot fetch ${url.href}: ${e.message}`)));
    req.end();
  });
}
