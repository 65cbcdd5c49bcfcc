import { timingSafeEqual } from 'node:crypto';
import { decodeFrame, encodeFrame } from './codec.js';
import { closeWithin, Connection, CONNECTION_WS_OPTIONS, ownLimits, remoteLimits, type Logger } from './connection.js';
import { CloseCode, type Hello, type Message, type Role, type Welcome } from './messages.js';
import { HELLO, SCHEDULER_TO_CLIENT, SCHEDULER_TO_WORKER, WELCOME, WORKER_TO_PEER, type Direction } from './ops.js';
import { formatProblem } from './schema.js';
import { logText } from './log-text.js';
import { clientTlsOptions, describeTlsError, type TlsNames, type TlsOptions } from './tls.js';
import { ignoredProxyNote } from './proxy-env.js';
import { socketErrorText } from './socket-error.js';
import { WebSocket } from './ws.js';
import { PACKAGE_VERSION, PROTOCOL_VERSION, versionsCompatible } from './version.js';

/**
 * The handshake failed: the reason says exactly what differed. When the connection itself
 * failed (refused, reset, a name that does not resolve, a TLS certificate refused), `cause` is
 * the socket's or the TLS layer's own error, whose `code` (`ECONNREFUSED`, `ECONNRESET`,
 * `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …) says what happened without reading the message.
 */
export class HandshakeError extends Error {
  /** `httpStatus`: the listener answered the upgrade with this HTTP status instead of switching protocols. */
  constructor(message: string, readonly code: number, readonly httpStatus?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandshakeError';
  }

  /** The same failure (code, HTTP status, cause) said with another message: where, how often. */
  withMessage(message: string): HandshakeError {
    return new HandshakeError(message, this.code, this.httpStatus, this.cause === undefined ? undefined : { cause: this.cause });
  }
}

export interface ConnectOptions {
  token?: string;
  /** For `wss://`: the CA to trust, and this side's certificate when the listener asks for one. */
  tls?: TlsOptions;
  /** How long the connect and the handshake may take together (default 10 s). */
  timeoutMs?: number;
  /**
   * Gives the connect up early: aborting rejects with a {@link HandshakeError} that gives the
   * signal's reason (a string or an Error's message) and closes the socket.
   */
  signal?: AbortSignal;
  /** Largest frame accepted (default 256 MiB); announced in the hello. */
  maxFrameBytes?: number;
  /** Largest (chunked) message accepted or sent (default 1 GiB); announced in the hello. */
  maxMessageBytes?: number;
  /** Size of the pieces large messages leave in (default 64 MiB). */
  chunkBytes?: number;
  /** Most bytes that may wait to be written to the other side before it is dropped (see `ConnectionOptions`). */
  maxSendBacklogBytes?: number;
  /** Longest wait for the next piece of an unfinished chunked message (see ConnectionOptions.pieceStallMs). */
  pieceStallMs?: number;
  log?: Logger;
  /** Names the other side in logs and errors. */
  label?: string;
  /** What the user calls the TLS settings, in TLS errors (default: both the flags and the options). */
  tlsNames?: TlsNames;
  /** The ops accepted from the listener; by default those the listener of this role sends. */
  inbound?: Direction;
  /** Keep the encoded values of `data` replies as bytes (see `ConnectionOptions.keepEncoded`). */
  keepEncoded?: boolean;
}

/** What a connecting role receives, by default (see ops.ts). */
const CONNECTOR_INBOUND: Partial<Record<Role, Direction>> = {
  client: SCHEDULER_TO_CLIENT, worker: SCHEDULER_TO_WORKER, peer: WORKER_TO_PEER,
};

/**
 * Largest frame a listener accepts before the handshake: a hello is a few hundred bytes, and
 * nothing bigger is read from a connection that has not authenticated.
 */
export const HELLO_MAX_BYTES = 64 * 1024;

/**
 * How long a listener waits, by default, for each step of a new connection before dropping it:
 * the HTTP upgrade request, then the hello. Silent sockets hold nothing for longer.
 */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * Sets the largest frame `ws` accepts from now on. `ws` fixes the limit when the socket opens,
 * so a listener that accepts only a small frame before the handshake raises it here once the
 * hello is accepted (the next frame is parsed after this returns).
 */
export function setFrameLimit(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') {
    throw new Error('cannot change the frame limit of this WebSocket: the installed ws release keeps it elsewhere (ws 8 expected)');
  }
  receiver._maxPayload = bytes;
}

/**
 * Opens a connection and performs the handshake: sends `hello`, waits for `welcome`.
 * Rejects with a {@link HandshakeError} naming the mismatch when the listener refuses.
 */
export function connect(
  url: string,
  hello: Omit<Hello, 'op' | 'protocol' | 'version' | 'token'> & { protocol?: number; version?: string },
  opts: ConnectOptions = {},
): Promise<{ conn: Connection; welcome: Welcome }> {
  const limits = ownLimits(opts);
  const label = opts.label ?? url;
  return new Promise((resolve, reject) => {
    let settled = false;
    const ws = new WebSocket(url, { maxPayload: limits.maxFrameBytes, ...CONNECTION_WS_OPTIONS, ...clientTlsOptions(opts.tls) });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      ws.removeAllListeners();
      ws.on('error', () => {});
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      reject(err);
    };
    // How far the connection got, for the timeout's message: a firewall that drops packets (no
    // TCP connection at all) and a peer that accepts and then says nothing need different fixes,
    // and both read 'no handshake answer' (found by the across-hosts trial, iptables DROP).
    let stage: 'tcp' | 'upgrade' | 'hello' = 'tcp';
    (ws as unknown as { _req?: import('node:http').ClientRequest })._req?.once('socket', (sock) => {
      if (!sock.connecting) stage = 'upgrade';
      else sock.once('connect', () => { if (stage === 'tcp') stage = 'upgrade'; });
    });
    // Judged after the event loop's poll phase: a process that was off the CPU for the whole wait
    // wakes in the timers phase, before it has read the I/O that came meanwhile, and said "the TCP
    // connection was never established" of one the kernel had made (or timed out a welcome that
    // had come). What came within the wait counts.
    const timer = setTimeout(() => setImmediate(() => {
      if (settled) return;
      const ms = opts.timeoutMs ?? 10000;
      fail(new HandshakeError(stage === 'tcp'
        ? `no answer from ${label} within ${ms} ms: the TCP connection was never established (nothing answered its connection requests: a firewall dropping them, or a host that is down or cut off)${ignoredProxyNote(url)}`
        : stage === 'upgrade'
          ? `no answer from ${label} within ${ms} ms: the TCP connection was made, but no TLS or WebSocket answer came (a stalled process, or not a Gluon listener)`
          : `no handshake answer from ${label} within ${ms} ms`, CloseCode.handshakeTimeout));
    }), opts.timeoutMs ?? 10000);
    const onAbort = () => {
      const why = opts.signal?.reason;
      fail(new HandshakeError(`gave up connecting to ${label}: ${why instanceof Error ? why.message : String(why ?? 'aborted')}`, CloseCode.going));
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('error', (err) => {
      const tls = describeTlsError(err, label, opts.tlsNames);
      // The error itself is the cause: its code tells a caller what happened (connect-retry in the client).
      fail(tls
        ? new HandshakeError(tls, CloseCode.tls, undefined, { cause: err })
        : new HandshakeError(`cannot connect to ${label}: ${socketErrorText(err)}${ignoredProxyNote(url)}`, CloseCode.going, undefined, { cause: err }));
    });
    // An HTTP answer instead of the upgrade (403 for a refused Host/Origin): its body says why.
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 2048) body += d; });
      const done = () => fail(res.headers['gluon-requires'] === 'tls'
        ? new HandshakeError(`plain connection to a TLS listener: ${label} speaks TLS; connect with ${url.replace(/^ws:/, 'wss:')}`, CloseCode.tls)
        : res.headers['gluon-requires'] === 'client-cert'
          ? new HandshakeError(body.trim().replace(/^([^:]+): /, `$1: ${label}: `), CloseCode.tls)
          : new HandshakeError(
          `${label} refused the connection (HTTP ${res.statusCode})${describeBody(body, res.headers['content-type'])}${notGluon(res.statusCode) ? NOT_GLUON_HINT : ''}`,
          res.statusCode === 403 ? CloseCode.forbidden : CloseCode.protocolError,
          res.statusCode,
        ));
      res.on('end', done);
      res.on('error', done);
    });
    ws.on('close', (code, reason) =>
      fail(new HandshakeError(`${label} closed the connection during the handshake (${code}${reason.length ? `: ${reason}` : ''})`, code)),
    );
    ws.on('open', () => {
      stage = 'hello';
      const msg: Hello = {
        protocol: PROTOCOL_VERSION,
        version: PACKAGE_VERSION,
        ...hello,
        ...limits,
        op: 'hello',
        ...(opts.token !== undefined ? { token: opts.token } : {}),
      };
      ws.send(encodeFrame([msg]), { binary: true });
    });
    ws.once('message', (data) => {
      let messages: Message[];
      try {
        messages = decodeFrame(data as Buffer) as Message[];
      } catch (err) {
        return fail(new HandshakeError(`${label} answered the handshake with ${(err as Error).message}`, CloseCode.protocolError));
      }
      const first = messages[0];
      if (!first) return fail(new HandshakeError(`${label} answered the handshake with an empty frame`, CloseCode.protocolError));
      if (first.op === 'rejected') {
        return fail(new HandshakeError(String(first.reason), Number(first.code ?? CloseCode.protocolError)));
      }
      if (first.op !== 'welcome') {
        return fail(new HandshakeError(`${label} answered the handshake with "${first.op}" instead of "welcome"`, CloseCode.protocolError));
      }
      // Both sides check: a listener that does not refuse us may still speak another version.
      if (first.protocol !== PROTOCOL_VERSION) {
        return fail(new HandshakeError(`protocol version mismatch: ${label} speaks ${String(first.protocol)}, this ${hello.role} speaks ${PROTOCOL_VERSION}`, CloseCode.versionMismatch));
      }
      const bad = (Object.hasOwn(WELCOME, hello.role) ? WELCOME[hello.role] : undefined)?.check(first);
      // A client given a worker's data address is welcomed as a worker welcomes a client fetching
      // results: without the scheduler's fields. It said "malformed welcome: clientId is missing".
      if (bad && hello.role === 'client' && first.clientId === undefined && !WELCOME.peer.check(first)) {
        return fail(new HandshakeError(`${url} is a worker's data port, not a scheduler's (it welcomed this client as a worker welcomes one fetching results): give the address the scheduler prints as "scheduler at ws://HOST:PORT", not a worker's "worker NAME at ws://HOST:PORT"`, CloseCode.wrongRole));
      }
      if (bad) return fail(new HandshakeError(`${label} sent a malformed welcome: ${formatProblem('welcome', bad)}`, CloseCode.protocolError));
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      ws.removeAllListeners();
      // Messages behind the welcome — in its frame, or in frames of the same TCP chunk, which ws
      // parses before any promise continuation runs — are held and delivered on the next turn
      // of the event loop, once the caller has attached its handlers.
      const inbound = opts.inbound ?? CONNECTOR_INBOUND[hello.role];
      const conn = new Connection(ws, {
        ...limits, remote: remoteLimits(first, limits), label, self: hello.role, held: messages.slice(1),
        ...(opts.chunkBytes ? { chunkBytes: opts.chunkBytes } : {}), ...(opts.log ? { log: opts.log } : {}),
        ...(opts.maxSendBacklogBytes ? { maxSendBacklogBytes: opts.maxSendBacklogBytes } : {}),
        ...(opts.pieceStallMs ? { pieceStallMs: opts.pieceStallMs } : {}),
        ...(inbound ? { inbound } : {}), ...(opts.keepEncoded ? { keepEncoded: true } : {}),
      });
      resolve({ conn, welcome: first as Welcome });
      setImmediate(() => conn.release());
    });
  });
}

export interface AcceptOptions {
  /** This side's role name for error texts, e.g. `scheduler`. */
  self: string;
  /** Roles this listener serves. */
  roles: readonly Role[];
  token?: string;
  /** Largest frame accepted (default 256 MiB); announced in the welcome. */
  maxFrameBytes?: number;
  /** Largest (chunked) message accepted or sent (default 1 GiB); announced in the welcome. */
  maxMessageBytes?: number;
  /** Size of the pieces large messages leave in (default 64 MiB). */
  chunkBytes?: number;
  /** Most bytes that may wait to be written to the other side before it is dropped (see `ConnectionOptions`). */
  maxSendBacklogBytes?: number;
  /** Longest wait for the next piece of an unfinished chunked message (see ConnectionOptions.pieceStallMs). */
  pieceStallMs?: number;
  /** How long a new connection may take to send its hello (default {@link HELLO_TIMEOUT_MS}). */
  helloTimeoutMs?: number;
  log?: Logger;
  /** Remote address, for labels. */
  remote?: string;
  /**
   * The ops accepted from each role after its hello (see ops.ts); every message is checked
   * against them. A role without an entry is served unchecked.
   */
  inbound?: Partial<Record<Role, Direction>>;
  /**
   * A last say on a hello that passed every check here, before the welcome: a refusal (its code
   * and reason) is sent as `rejected` and closes the connection as the checks' own do, so the
   * connecting side gets it from `connect` as a {@link HandshakeError}. The scheduler refuses a
   * worker claiming a live worker's data address here (4012).
   */
  admit?: (hello: Hello) => { code: number; reason: string } | null;
  /**
   * The listener's TLS settings: here only whether it requires client certificates, which the
   * welcome says (with whether it requires a token) so the connecting side knows what was checked.
   */
  tls?: TlsOptions;
}

/**
 * Runs the listening side of the handshake on a fresh socket. Resolves with the connection and
 * the peer's hello once it is valid; otherwise sends `rejected`, closes with the matching code
 * and resolves `null`. Nothing but a hello is processed before the handshake succeeds, and the
 * socket should accept frames of at most {@link HELLO_MAX_BYTES} until then (the frame limit is
 * raised to `maxFrameBytes` here once the hello is accepted).
 *
 * The connection starts out holding what follows the hello (in its frame or later ones): attach
 * handlers, then call `conn.release()`. A connection already closed by then (its next frame was
 * garbage) must not be registered anywhere.
 */
export function acceptConnection(
  ws: WebSocket,
  opts: AcceptOptions,
  welcome: (hello: Hello) => Record<string, unknown> = () => ({}),
): Promise<{ conn: Connection; hello: Hello } | null> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${opts.self}: ${logText(l)}\n`));
  const remote = opts.remote ?? 'unknown address';
  return new Promise((resolve) => {
    let done = false;
    const reject = (code: number, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      log(`refused connection from ${remote}: ${reason}`);
      ws.removeAllListeners('message');
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(encodeFrame([{ op: 'rejected', reason, code }]), { binary: true });
        closeWithin(ws, code, reason);
      }
      resolve(null);
    };
    const helloMs = opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    const timer = setTimeout(() => reject(CloseCode.handshakeTimeout, `no hello within ${helloMs} ms`), helloMs);
    ws.on('error', (err) => {
      if (done) return;
      if (/max payload/i.test(err.message)) reject(CloseCode.tooLarge, `a frame over the ${HELLO_MAX_BYTES}-byte limit before the handshake`);
      else reject(CloseCode.protocolError, `socket error before handshake: ${err.message}`);
    });
    ws.on('close', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(null);
    });
    ws.once('message', (data, isBinary) => {
      if (!isBinary) return reject(CloseCode.protocolError, 'protocol error: text frame; expected a binary msgpack hello');
      let messages: Message[];
      try {
        messages = decodeFrame(data as Buffer) as Message[];
      } catch (err) {
        return reject(CloseCode.protocolError, `protocol error: ${(err as Error).message}`);
      }
      const hello = messages[0] as unknown as Hello | undefined;
      if (!hello) return reject(CloseCode.protocolError, 'protocol error: empty frame; expected a hello');
      if (hello.op !== 'hello') return reject(CloseCode.protocolError, `protocol error: expected "hello" first, got "${cut(String(hello.op))}"`);
      const problem = checkHello(hello, opts);
      if (problem) return reject(problem.code, problem.reason);
      const shape = HELLO[hello.role].check(hello);
      if (shape) return reject(CloseCode.badHello, `hello refused: ${formatProblem('hello', shape).slice('hello: '.length)}`);
      const refusal = opts.admit?.(hello);
      if (refusal) return reject(refusal.code, refusal.reason);
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      const limits = ownLimits(opts);
      // Authenticated now: frames up to the connection's limit from here on.
      setFrameLimit(ws, limits.maxFrameBytes);
      const inbound = opts.inbound?.[hello.role];
      const conn = new Connection(ws, {
        ...limits,
        remote: remoteLimits(hello as unknown as Record<string, unknown>, limits),
        label: `${hello.role}${hello.name ? ` ${hello.name}` : ''} (${remote})`,
        ...(opts.remote !== undefined ? { from: opts.remote } : {}),
        self: opts.self,
        ...(opts.chunkBytes ? { chunkBytes: opts.chunkBytes } : {}),
        ...(opts.maxSendBacklogBytes ? { maxSendBacklogBytes: opts.maxSendBacklogBytes } : {}),
        ...(opts.pieceStallMs ? { pieceStallMs: opts.pieceStallMs } : {}),
        log,
        held: messages.slice(1),
        ...(inbound ? { inbound } : {}),
      });
      conn.send({ op: 'welcome', protocol: PROTOCOL_VERSION, version: PACKAGE_VERSION, ...limits, ...welcome(hello), ...guardOf(opts) });
      resolve({ conn, hello });
    });
  });
}

/** What a listener checks of every connection, as its welcomes say (protocol 22). */
export function guardOf(opts: Pick<AcceptOptions, 'token' | 'tls'>): { tokenRequired: boolean; clientCertRequired: boolean } {
  return { tokenRequired: opts.token !== undefined && opts.token !== '', clientCertRequired: opts.tls?.requireClientCert === true };
}

/** Validates a hello against this listener's expectations; returns the refusal, if any. */
export function checkHello(hello: Partial<Hello>, opts: Pick<AcceptOptions, 'self' | 'roles' | 'token'>): { code: number; reason: string } | null {
  const who = typeof hello.role === 'string' ? cut(hello.role) : 'peer';
  if (hello.protocol !== PROTOCOL_VERSION) {
    return { code: CloseCode.versionMismatch, reason: `protocol version mismatch: ${opts.self} speaks ${PROTOCOL_VERSION}, ${who} speaks ${cut(String(hello.protocol))}` };
  }
  if (typeof hello.version !== 'string' || !versionsCompatible(hello.version, PACKAGE_VERSION)) {
    return { code: CloseCode.versionMismatch, reason: `package version mismatch: ${opts.self} is ${PACKAGE_VERSION}, ${who} is ${cut(String(hello.version))} (major.minor must agree)` };
  }
  if (!opts.roles.includes(hello.role as Role)) {
    const hint = hello.role === 'worker' && opts.roles.includes('peer') ? WORKER_AT_DATA_PORT : '';
    return { code: CloseCode.wrongRole, reason: `role "${cut(String(hello.role))}" is not served here; ${opts.self} accepts ${opts.roles.join(', ')}${hint}` };
  }
  if (opts.token !== undefined && opts.token !== '') {
    if (typeof hello.token !== 'string' || hello.token === '') {
      return { code: CloseCode.badToken, reason: `missing token: ${opts.self} requires a token` };
    }
    if (!tokensEqual(hello.token, opts.token)) return { code: CloseCode.badToken, reason: `bad token: ${opts.self} refused the token the ${who} sent` };
  }
  return null;
}

/**
 * A value from a refused hello as its reason quotes it: the start and the length past 40
 * characters. The hello is not authenticated yet, and the reason is logged by the listener (a
 * 60 kB version was a 60 kB log line per connection).
 */
function cut(v: string): string {
  return v.length > 40 ? `${v.slice(0, 40)}… (${v.length} characters)` : v;
}

/**
 * Whether a failed connect's code is a refusal that retrying cannot fix (bad token, version
 * mismatch, a hello refused for a field, a role the listener does not serve, a refused Host, a TLS
 * mismatch): the connecting side's configuration is wrong.
 */
export function isPermanentRefusal(code: number | undefined, httpStatus?: number): boolean {
  return code === CloseCode.badToken || code === CloseCode.tokenUnchecked || code === CloseCode.versionMismatch || code === CloseCode.badHello || code === CloseCode.wrongRole || code === CloseCode.forbidden || code === CloseCode.tls || notGluon(httpStatus);
}

/**
 * Whether an HTTP answer to the upgrade means nothing at that address speaks Gluon: a 4xx other
 * than 408/429 (a dashboard's port answers 404), or any 2xx/3xx (a plain web server that serves
 * the page instead of upgrading: `python3 -m http.server` answers 200). A Gluon listener answers
 * 101, or refuses with 403. Retrying cannot fix it; a 5xx (a proxy whose scheduler is restarting)
 * can.
 */
function notGluon(status: number | undefined): boolean {
  if (status === undefined) return false;
  return status < 400 || (status < 500 && status !== 403 && status !== 408 && status !== 429);
}

/**
 * The body of a refusal as a message quotes it: Gluon's own refusals are a line of text, quoted
 * whole; a web page is named by its title instead of being pasted in (a directory listing's
 * HTML filled the worker's log line by line).
 */
function describeBody(body: string, contentType: string | undefined): string {
  const text = body.trim();
  if (!text) return '';
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html)/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim().replace(/\s+/g, ' ');
    return `: an HTML page${title ? ` titled "${title}"` : ''}`;
  }
  return `: ${text}`;
}

/** A worker dialled a worker's data port (the only listener serving `peer`) as its scheduler. */
const WORKER_AT_DATA_PORT = ` (this is a worker's data port: a worker registers with the scheduler, at the address it prints as "scheduler at ws://HOST:PORT", not at another worker's "worker NAME at ws://HOST:PORT")`;

const NOT_GLUON_HINT = `; no Gluon scheduler listens at this address (is it the dashboard's port? the scheduler prints its own as "scheduler at ws://HOST:PORT")`;

/** Constant-time comparison, so a token cannot be guessed byte by byte from timings. */
export function tokensEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(bb, bb);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
