/**
 * Client.connect's options: their declaration and documentation, and the checks that turn them
 * into what a connection is made with, so that a bad option is refused before anything is dialled.
 */
import { checkOptionKeys, checkTlsOptionKeys, checkTokenOption, readTlsMaterial, tokenFromEnv, type ClientTlsOptions, type OptionKeys, type TlsNames } from '@gluon/protocol';
import { describeValue } from './describe.js';
import type { PeerLimits, PeerLink } from './peers.js';

export interface ConnectOptions {
  /** Shared secret; defaults to the GLUON_TOKEN environment variable (taken without surrounding whitespace). Empty or blank (here or in GLUON_TOKEN), or holding whitespace here, is refused: leave both out to connect without a token. */
  token?: string;
  /**
   * How the caller's user gives a token, added to a missing- or bad-token refusal (a CLI names
   * its own flags or config). Default: `the token option of Client.connect ({ token }) or GLUON_TOKEN`.
   */
  tokenHelp?: string;
  /**
   * What the caller's user calls the TLS files, named in TLS errors (`give the cluster's CA (…)`):
   * a CLI names its flags or config keys. Default: both `--tls-ca` and `tls.ca` spellings.
   */
  tlsHelp?: TlsNames;
  /**
   * How the caller's user adds workers, said when this client's tasks have waited 10 s on a
   * scheduler no worker has joined (warning kind `waiting-for-workers`); `false` says nothing (a
   * tool that says it itself, or whose batch jobs are the workers). Default: `start workers for it:
   * gluon-worker <url>`.
   */
  workersHelp?: string | false;
  /** Shown in the scheduler's log and dashboard. Default `client-<pid>`. */
  name?: string;
  /**
   * How long `connect` tries, default 10 s: an attempt that nothing answers (refused: no
   * scheduler listens there yet) or that is cut before any answer is tried again within it; one
   * the scheduler has accepted waits for its answer for the rest of it (a busy scheduler answers
   * late); a refusal (token, version, TLS, HTTP) fails at once.
   */
  timeoutMs?: number;
  /**
   * For a `wss://` scheduler: `ca` (the cluster's CA; default the system's), and `cert` + `key`
   * when the cluster requires client certificates. Each is PEM text or bytes, or a file path.
   * Used for the workers' data listeners too. `requireClientCert` is a listener's option, not a
   * client's: refused by TypeScript here, and at run time.
   */
  tls?: ClientTlsOptions;
  /**
   * Protocol version to announce. Only for testing how a cluster refuses a mismatched client;
   * leave unset.
   */
  protocolVersion?: number;
  /** Largest WebSocket frame accepted (default 256 MiB); larger messages travel in chunks. */
  maxFrameBytes?: number;
  /**
   * Largest message accepted or sent (default 1 GiB), i.e. the largest result this client can
   * fetch and the largest task arguments it can submit (the scheduler's and workers' own budgets
   * apply too). Over it, `result()` fails with `ResultTooLargeError` and a submitted task with
   * a `TaskError` of kind `too-large`, naming the key, the size and the limit.
   */
  maxMessageBytes?: number;
  /**
   * How long to keep trying to reach the scheduler after losing it (it restarted, or the
   * network dropped) before pending futures fail with a `ClientClosedError` naming the address
   * and how long it tried. Meanwhile `result()` waits. Default 5 minutes; 0 gives up at once.
   */
  reconnectTimeoutMs?: number;
  /**
   * Most tasks sent to the scheduler per turn of the event loop (default 49,152; a slice also
   * ends after ~50 ms of encoding). A larger graph leaves slice by slice: the call that built it
   * (`map`, `submit`, `treeReduce` …) returns its futures at once, and between slices the client
   * answers the scheduler's keep-alive and takes in results, while the scheduler is already
   * running the first tasks. See {@link Client.unsentTasks}.
   */
  graphSliceTasks?: number;
}

const CONNECT_OPTIONS: OptionKeys<ConnectOptions> = {
  token: true, tokenHelp: true, tlsHelp: true, workersHelp: true, name: true, timeoutMs: true, tls: true, protocolVersion: true, maxFrameBytes: true,
  maxMessageBytes: true, reconnectTimeoutMs: true, graphSliceTasks: true,
};

/** Default of {@link ConnectOptions.reconnectTimeoutMs}. */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 5 * 60_000;

/** How a library caller gives a token (see ConnectOptions.tokenHelp). */
export const CLIENT_TOKEN_HELP = 'the token option of Client.connect ({ token }) or GLUON_TOKEN';

/** What a connection is made with, from checked {@link ConnectOptions}. */
export interface ConnectSettings {
  /** Shown in the scheduler's log and dashboard. */
  name: string;
  /** The frame and message budgets, for the scheduler connection and the workers' data links. */
  limits: PeerLimits;
  /** Token, TLS material and the names of the TLS files, for every connection the client opens. */
  link: PeerLink;
}

/**
 * Checks Client.connect's `url` (its form) and `opts`, throwing a TypeError or RangeError that names the
 * option and what was given. `readEnvToken` false: GLUON_TOKEN is not read (LocalCluster's own
 * clients, of a cluster whose token is known).
 */
export function connectSettings(url: string, opts: ConnectOptions, readEnvToken: boolean): ConnectSettings {
  if (typeof url !== 'string' || !(/^wss?:\/\/[^/]+/.test(url) || /^ws\+unix:[^:]+:\//.test(url))) {
    throw new TypeError(`Client.connect: the scheduler address must look like ws://host:8786 (or ws+unix:PATH:/ for a scheduler's --unix-socket), got ${JSON.stringify(url)}`);
  }
  checkOptionKeys(opts, CONNECT_OPTIONS, 'Client.connect');
  checkTlsOptionKeys(opts.tls, 'Client.connect: tls', 'client');
  // As the analyses refuse --tls-* with a ws:// --scheduler (scheduler-tls.ts): the certificates
  // were ignored and the token sent in clear (found by the hosts trial: it connected).
  if (opts.tls !== undefined && url.startsWith('ws:')) {
    throw new TypeError(`Client.connect: tls is given, but the scheduler address ${url} is plain ws://, which speaks no TLS: the token and the results would cross the network unencrypted; give its wss:// address (a scheduler started with --tls-cert prints "scheduler at wss://…")`);
  }
  checkTokenOption(opts.token, 'Client.connect');
  let token: string | undefined;
  try {
    token = opts.token ?? (readEnvToken ? tokenFromEnv() : undefined);
  } catch (err) {
    throw new Error(`Client.connect: ${(err as Error).message}`);
  }
  const name = opts.name ?? `client-${process.pid}`;
  for (const [name, v, lo, hi] of [['maxFrameBytes', opts.maxFrameBytes, 1024, 2 * 1024 ** 3], ['maxMessageBytes', opts.maxMessageBytes, 64 * 1024, 4 * 1024 ** 3]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= hi)) {
      throw new RangeError(`Client.connect: ${name} must be an integer number of bytes from ${lo} to ${hi}, got ${String(v)}`);
    }
  }
  const limits: PeerLimits = {
    ...(opts.maxFrameBytes ? { maxFrameBytes: opts.maxFrameBytes } : {}),
    ...(opts.maxMessageBytes ? { maxMessageBytes: opts.maxMessageBytes } : {}),
  };
  const slice = opts.graphSliceTasks;
  if (slice !== undefined && !(Number.isInteger(slice) && slice >= 1 && slice <= 10_000_000)) {
    throw new RangeError(`Client.connect: graphSliceTasks must be an integer number of tasks from 1 to 10000000, got ${String(slice)}`);
  }
  const help = opts.workersHelp;
  if (help !== undefined && help !== false && !(typeof help === 'string' && help.trim() !== '')) {
    throw new TypeError(`Client.connect: workersHelp must be a non-empty string (how to add workers) or false (say nothing), got ${describeValue(help)}`);
  }
  const limit = opts.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
  if (!(Number.isFinite(limit) && limit >= 0)) throw new RangeError(`Client.connect: reconnectTimeoutMs must be a number ≥ 0, got ${limit}`);
  const link: PeerLink = {
    ...(token ? { token } : {}), ...(opts.tls ? { tls: readTlsMaterial(opts.tls, 'Client.connect: tls') } : {}),
    ...(opts.tlsHelp ? { tlsNames: opts.tlsHelp } : {}),
  };
  return { name, limits, link };
}
