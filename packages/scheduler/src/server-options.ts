import { BYTES_RULE, msRule, PORT_RULE, wholeFrom, type Logger, type NumberRules, type OptionKeys, type TlsOptions } from '@gluon/protocol';

/** What {@link startScheduler} takes: addresses, security, the dashboard, the state machine's tunables, limits. */
export interface SchedulerOptions {
  host?: string;
  port?: number;
  /**
   * Names besides the bound address that clients, workers and browsers may use to reach the
   * scheduler and its dashboard (their `Host` header), e.g. the machine's DNS name.
   */
  allowedHosts?: string[];
  /** The shared secret every worker, client and dashboard user must give (leave it out for none; empty or blank is refused). */
  token?: string;
  /** TLS for the scheduler port (`wss://`) and the dashboard (HTTPS); see `TlsOptions`. */
  tls?: TlsOptions;
  /**
   * Also listen on the Unix domain socket at this path (`ws+unix:PATH:/`), for clients and
   * workers on this machine: a frame costs less there than over TCP loopback. Not with `tls`.
   */
  unixSocket?: string;
  /** Dashboard port (default 8787; 0 picks a free one); `dashboard: false` turns it off. */
  dashboardPort?: number;
  dashboard?: boolean;
  /** Path prefix for the dashboard behind a reverse proxy, e.g. `/gluon`. */
  dashboardPrefix?: string;
  /** How long a dashboard login lasts (default 8 h). */
  dashboardSessionTtlMs?: number;
  /** reverse proxies whose forwarding headers the dashboard's login throttle believes. */
  dashboardTrustedProxies?: string[];
  /** Live feeds of the dashboard (pages, performance reports) served at once; more are refused with 503 (default 64). */
  dashboardMaxFeeds?: number;
  /** Live feeds of the dashboard one address holds at once; more from it are refused with 503 (default 16). */
  dashboardMaxFeedsPerAddress?: number;
  /**
   * The dashboard's public link behind a proxy, a template such as
   * `https://gluon.example.org/{host}/` (`{host}`, `{port}`, `{prefix}`, `{ENV_VAR}`; see
   * dashboard/link.ts): clients report it as `dashboardUrl`. A malformed template, or a field
   * that is neither of those nor a set environment variable, fails the start.
   */
  dashboardLink?: string;
  heartbeatTtlMs?: number;
  /**
   * How long tasks must wait with every worker paused for memory before the scheduler says the
   * cluster is stuck, in its log, on the dashboard and to its clients (default 10 s).
   */
  memoryStallMs?: number;
  /**
   * After a restart, how long task assignment waits at most for the workers that reconnecting
   * clients knew of to re-register, so what they hold is taken back rather than computed again
   * (default 15 s; see recovery.ts).
   */
  holderWaitMs?: number;
  /** Ready tasks whose module every worker refuses wait this long at most while a refusal may lift (default 60 s; module-refusal-rule.ts). */
  refusalWaitMs?: number;
  /**
   * How long a client whose connection was lost (not closed by the client) keeps its keys: if
   * it reconnects within this time (same session), it finds its results where they were instead
   * of having them recomputed. Default 60 s; 0 releases them at once.
   */
  sessionGraceMs?: number;
  /**
   * How long a new connection may stay silent (no HTTP upgrade, no TLS handshake, no hello)
   * before it is dropped (default 10 s).
   */
  helloTimeoutMs?: number;
  allowedFailures?: number;
  /**
   * Connections each listener (the scheduler port, its Unix socket, the dashboard) holds at once
   * before they authenticate (a hello with the token, a TLS handshake, a dashboard login): past
   * it, or when one takes the process's last file descriptor, the oldest unauthenticated ones
   * are closed so that new ones are taken in; workers, clients and logged-in browsers never are
   * (default 512; protocol's shedding.ts).
   */
  maxUnauthenticatedConnections?: number;
  /** Largest WebSocket frame accepted (default 256 MiB). */
  maxFrameBytes?: number;
  /**
   * Largest message accepted or sent (default 1 GiB; larger values travel in chunks up to it).
   * A task whose arguments would not fit in a worker's budget fails with the reason.
   */
  maxMessageBytes?: number;
  /**
   * Most bytes that may wait to be written to one worker or client (default 256 MiB, see
   * `DEFAULT_MAX_SEND_BACKLOG_BYTES`): a peer that stops reading is dropped with 4010 and handled
   * as any lost connection, instead of the scheduler buffering for it until it runs out of memory.
   */
  maxSendBacklogBytes?: number;
  /**
   * Longest wait for the next piece of a client's or worker's unfinished chunked message (default
   * 60 s, `DEFAULT_PIECE_STALL_MS`): past it that connection is closed with 4009 naming the
   * message, and the memory of what arrived is freed (protocol reassembly.ts).
   */
  pieceStallMs?: number;
  /** Published topics kept at most (default 1,000); a publish on a new topic beyond is refused (topics.ts). */
  maxTopics?: number;
  /** Bytes of one published value at most (default 16 MiB). */
  maxTopicBytes?: number;
  /** Bytes of all published values together at most (default 256 MiB). */
  maxPublishedBytes?: number;
  log?: Logger;
}

/**
 * Every key of {@link SchedulerOptions}, for `checkOptionKeys`: `Scheduler.start({ dashbordPort: 0 })`
 * fails naming the key and `dashboardPort`, where the misspelt key was ignored and the scheduler
 * took port 8787 (or failed on it being in use).
 */
export const SCHEDULER_OPTION_KEYS: OptionKeys<SchedulerOptions> = {
  host: true, port: true, allowedHosts: true, token: true, tls: true, unixSocket: true, dashboardPort: true, dashboard: true,
  dashboardPrefix: true, dashboardSessionTtlMs: true, dashboardTrustedProxies: true, dashboardMaxFeeds: true, dashboardMaxFeedsPerAddress: true, dashboardLink: true, heartbeatTtlMs: true,
  memoryStallMs: true, holderWaitMs: true, refusalWaitMs: true, sessionGraceMs: true, helloTimeoutMs: true, allowedFailures: true, maxUnauthenticatedConnections: true,
  maxFrameBytes: true, maxMessageBytes: true, maxSendBacklogBytes: true, pieceStallMs: true, maxTopics: true, maxTopicBytes: true, maxPublishedBytes: true, log: true,
};

/**
 * What each numeric option of {@link SchedulerOptions} takes, checked by `Scheduler.start` before
 * anything listens (checkNumberOptions). The CLI's flags narrow these to ranges for people
 * (`--heartbeat-ttl` from 100ms); in-process callers may go beyond them (a test's 16-byte topic),
 * but not to a string, a negative or a fraction where none means anything. They were taken as
 * given: `port: 'x'` started a scheduler at `ws://127.0.0.1:undefined`, `heartbeatTtlMs: 'x'` and
 * `maxTopics: -1` started one, `helloTimeoutMs: 'x'` failed in Node naming its `requestTimeout`.
 */
export const SCHEDULER_NUMBER_OPTIONS: NumberRules<SchedulerOptions> = {
  port: PORT_RULE, dashboardPort: PORT_RULE,
  heartbeatTtlMs: msRule(false), memoryStallMs: msRule(false), helloTimeoutMs: msRule(false), pieceStallMs: msRule(false), dashboardSessionTtlMs: msRule(false),
  holderWaitMs: msRule(true), refusalWaitMs: msRule(true), sessionGraceMs: msRule(true),
  allowedFailures: wholeFrom(1), maxTopics: wholeFrom(1), maxUnauthenticatedConnections: wholeFrom(1), dashboardMaxFeeds: wholeFrom(1), dashboardMaxFeedsPerAddress: wholeFrom(1),
  maxTopicBytes: BYTES_RULE, maxPublishedBytes: BYTES_RULE, maxFrameBytes: BYTES_RULE, maxMessageBytes: BYTES_RULE, maxSendBacklogBytes: BYTES_RULE,
};
