import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { decodeFrame, encodeFrame } from './codec.js';
import { CloseCode, type Message } from './messages.js';
import { inboundChecker, type Direction } from './ops.js';
import { formatBytes } from './units.js';

/** Default largest frame a connection accepts or sends, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;
/**
 * Default largest message (after reassembly from chunks) a connection accepts or sends: a memory
 * budget, not a frame size. msgpackr cannot build buffers of 4 GiB or more.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;
/** Default size of the pieces a large message travels in (Dask's shard size). */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
/** How long a connection given up for silence waits for the closing handshake before destroying its socket. */
const GIVE_UP_GRACE_MS = 2000;
/** Pieces are never made smaller than this, whatever the other side announces. */
const MIN_CHUNK_BYTES = 1024;

/**
 * The size limits of one side of a connection. Each side announces its own in the handshake
 * (`hello` / `welcome`), so a sender refuses what the receiver would refuse, at the sender, where
 * the error can name what was too large.
 */
export interface Limits {
  /** Largest WebSocket frame this side accepts (larger ones close the connection with 1009). */
  maxFrameBytes: number;
  /** Largest message this side reassembles from chunks: the memory one message may take. */
  maxMessageBytes: number;
}

/** The limits a side announces, from options with defaults filled in. */
export function ownLimits(opts: { maxFrameBytes?: number | undefined; maxMessageBytes?: number | undefined }): Limits {
  return {
    maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  };
}

/**
 * The other side's limits as announced in its hello or welcome; a missing or malformed figure
 * counts as "no tighter than ours".
 */
export function remoteLimits(announced: Record<string, unknown>, own: Limits): Limits {
  const pick = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : fallback);
  return { maxFrameBytes: pick(announced.maxFrameBytes, own.maxFrameBytes), maxMessageBytes: pick(announced.maxMessageBytes, own.maxMessageBytes) };
}

/**
 * Options every WebSocket under a {@link Connection} is created with (client and listener).
 * `autoPong` is off because the Connection answers pings itself (see `answerPing`): ws's own
 * answers are capped at 60 waiting to be written (`maxPendingAutoPongs` in ws 8.23 as installed), past which it
 * destroys the socket without a word, and a live side reaches that cap whenever its writes are
 * queued behind a large send to a slow reader, or when it wakes from a stall of a minute to a
 * minute of a keep-alive's pings.
 */
export const CONNECTION_WS_OPTIONS = { perMessageDeflate: false, autoPong: false } as const;

export type Logger = (line: string) => void;

export interface ConnectionOptions {
  /** Largest frame accepted; larger incoming frames close the connection (1009). */
  maxFrameBytes?: number;
  /**
   * Largest message accepted or sent (default 1 GiB). A message whose encoding is larger than
   * the chunk size travels as several frames that the receiver reassembles, within this budget.
   */
  maxMessageBytes?: number;
  /** Size of the pieces a large message is sent in (default 64 MiB; never above a frame limit). */
  chunkBytes?: number;
  /** The other side's limits, from its hello or welcome (default: the same as ours). */
  remote?: Limits;
  /** Names the other side in logs, e.g. `worker w1 (127.0.0.1:40211)`. */
  label?: string;
  /** Names this side in error texts, e.g. `scheduler` (default `this side`). */
  self?: string;
  log?: Logger;
  /**
   * Start out holding received messages (beginning with these, already received) until
   * {@link Connection.release}: frames that arrive in the same TCP chunk as the handshake answer
   * are parsed before the caller of `connect` can attach handlers.
   */
  held?: Message[];
  /**
   * The ops this side accepts from the other (see ops.ts). Every received message is checked
   * against it before any handler or pending request sees it; a mismatch closes the connection
   * with 4003 and a reason naming the op and the field. Without it, messages are not checked.
   */
  inbound?: Direction;
}

type Pending = { resolve: (m: Message) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };

/** Thrown by {@link Connection.request} when the other side answers with an `error` op. */
export class RemoteError extends Error {
  constructor(message: string, readonly op: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Thrown when a connection closes while a request is waiting for its reply. */
export class ConnectionClosedError extends Error {
  constructor(readonly label: string, readonly code: number, readonly reason: string) {
    super(`connection to ${label} closed (${code}${reason ? `: ${reason}` : ''})`);
    this.name = 'ConnectionClosedError';
  }
}

/**
 * A handshaken WebSocket carrying msgpack frames of messages. Messages sent within one tick are
 * batched into one frame; `request` pairs a message with its reply by `id`/`replyTo`.
 *
 * A frame whose encoding exceeds the chunk size leaves as a `{op: 'chunked', bytes}` frame
 * followed by raw pieces of at most the chunk size, which the receiver reassembles (only here,
 * after the handshake) into the frame and decodes; so message size is bounded by the memory
 * budget `maxMessageBytes`, not by the frame limit. A message over the budget of either side is
 * not sent: the `oversize` event (msg, bytes, limit, whose) lets its owner fail what depended on
 * it with that reason.
 *
 * Events: `message` (msg), `close` (code, reason), `oversize` (msg, bytes, limit, whose),
 * `unencodable` (msg, error).
 */
export class Connection extends EventEmitter {
  readonly label: string;
  readonly maxFrameBytes: number;
  /** Largest message this side reassembles. */
  readonly maxMessageBytes: number;
  /** Largest message sent: the smaller of both sides' budgets. */
  readonly sendLimit: number;
  /** Whose budget {@link sendLimit} is, for error texts: `"<label>'s"` or `"this <self>'s"`. */
  readonly sendLimitOwner: string;
  /** Size of the pieces a large message leaves in. */
  readonly chunkBytes: number;
  /** Names this side in what it tells the other, e.g. `scheduler`. */
  private readonly self: string | undefined;
  closed = false;
  /** A chunked message being received: its buffer and how much of it has arrived. */
  private assembly: { buf: Buffer; filled: number } | null = null;
  private out: Message[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly log: Logger;
  /** The check of every received message against its op's schema (see {@link ConnectionOptions.inbound}). */
  private readonly checkInbound: ((msg: Message) => string | null) | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  /** When something (a message or a pong) last arrived, ms since epoch. */
  private lastHeard = Date.now();
  /** A pong is queued and not yet written out. */
  private pongQueued = false;
  /** The data of the latest ping that arrived while a pong was queued: answered after it. */
  private pingWaiting: Buffer | null = null;

  constructor(readonly ws: WebSocket, opts: ConnectionOptions = {}) {
    super();
    this.label = opts.label ?? 'peer';
    const own = ownLimits(opts);
    const remote = opts.remote ?? own;
    this.maxFrameBytes = own.maxFrameBytes;
    this.maxMessageBytes = own.maxMessageBytes;
    this.sendLimit = Math.min(own.maxMessageBytes, remote.maxMessageBytes);
    this.self = opts.self;
    this.sendLimitOwner = remote.maxMessageBytes < own.maxMessageBytes ? `${this.label}'s` : `this ${opts.self ?? 'side'}'s`;
    this.chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.min(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, own.maxFrameBytes, remote.maxFrameBytes));
    this.log = opts.log ?? defaultLog;
    this.checkInbound = opts.inbound ? inboundChecker(opts.inbound) : undefined;
    if (opts.held) this.held = [...opts.held];
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('error', (err) => this.log(`connection to ${this.label}: ${describeSocketError(err, this.maxFrameBytes)}`));
    ws.on('close', (code, reason) => this.closedBy(code, reason.toString() || unsaidReason(code)));
    ws.on('pong', () => (this.lastHeard = Date.now()));
    ws.on('ping', (data) => this.answerPing(data));
  }

  /**
   * Answers a ping (the socket was made with {@link CONNECTION_WS_OPTIONS}: ws does not). At most
   * one pong waits to be written: pings that arrive meanwhile are answered by one pong with the
   * latest one's data once it is out (RFC 6455 5.5.3 allows answering only the most recent). So a
   * peer's pings cost no memory however many pile up, and never end the connection: a side whose
   * writes are queued behind a large send is slow, not dead.
   */
  private answerPing(data: Buffer): void {
    if (this.closed) return;
    if (this.pongQueued) {
      this.pingWaiting = data;
      return;
    }
    this.pongQueued = true;
    this.ws.pong(data, undefined, () => {
      this.pongQueued = false;
      const next = this.pingWaiting;
      this.pingWaiting = null;
      if (next) this.answerPing(next);
    });
  }

  /**
   * Pings the other side every `intervalMs` and terminates the connection when nothing (no
   * message, no pong) has arrived for `deadAfterMs`. TCP alone can take many minutes to notice a
   * peer behind a cut link; this turns that into a `close` the owner reacts to (reconnect).
   */
  keepAlive(intervalMs: number, deadAfterMs: number): void {
    clearInterval(this.keepAliveTimer);
    this.lastHeard = Date.now();
    let lastTick = this.lastHeard;
    this.keepAliveTimer = setInterval(() => {
      if (this.closed) return clearInterval(this.keepAliveTimer);
      const now = Date.now();
      // This process was frozen (SIGSTOP) or blocked: the other side had no chance to answer
      // meanwhile, so that time does not count as its silence.
      const asleep = now - lastTick - intervalMs;
      if (asleep > intervalMs) this.lastHeard += asleep;
      lastTick = now;
      const silent = now - this.lastHeard;
      if (silent > deadAfterMs) {
        this.log(`connection to ${this.label}: nothing heard for ${silent} ms (limit ${deadAfterMs} ms); dropping it`);
        this.giveUp(silent, deadAfterMs);
        return;
      }
      try {
        this.ws.ping();
      } catch {
        // Socket already closing: the close event follows.
      }
    }, intervalMs);
    this.keepAliveTimer.unref();
  }

  /**
   * Ends a connection whose peer went silent. A close frame says why (4009), so a peer that was
   * only stalled (a blocked event loop, a stopped process) reads the reason when it wakes rather
   * than a bare 1006; the socket is destroyed soon after whether or not the peer answers, as a
   * dead one never will.
   */
  private giveUp(silentMs: number, limitMs: number): void {
    const ws = this.ws;
    this.flush();
    ws.close(CloseCode.silent, trimReason(`nothing heard from this side for ${silentMs} ms (the ${this.self ?? 'peer'}'s limit: ${limitMs} ms)`));
    setTimeout(() => ws.terminate(), GIVE_UP_GRACE_MS).unref();
    this.closedBy(CloseCode.silent, `nothing heard for ${silentMs} ms (limit ${limitMs} ms)`);
  }

  /** Queues a message; it leaves with the others queued in this tick. Returns false once closed. */
  send(msg: Message): boolean {
    if (this.closed) return false;
    this.out.push(msg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return true;
  }

  /** Sends a request and resolves with the message whose `replyTo` matches its id. */
  request(msg: Message, timeoutMs = 0): Promise<Message> {
    const id = this.nextId++;
    return new Promise<Message>((resolve, reject) => {
      if (this.closed) return reject(new ConnectionClosedError(this.label, CloseCode.going, 'already closed'));
      const entry: Pending = { resolve, reject };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`no reply from ${this.label} to ${msg.op} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.send({ ...msg, id });
    });
  }

  /** Answers a request. */
  reply(to: Message, msg: Message): boolean {
    return this.send({ ...msg, replyTo: to.id });
  }

  /** Sends what is queued now rather than at the end of the tick. */
  flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.closed) return;
    const batch = this.out;
    this.out = [];
    this.sendBatch(batch);
  }

  /** Flushes, then closes with a code and a reason (trimmed to what WebSocket allows). */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.closed) return;
    this.flush();
    this.ws.close(code, trimReason(reason));
    this.closedBy(code, reason);
  }

  /** Closes at once, without a closing handshake (the other side is not answering). */
  terminate(reason = 'terminated'): void {
    if (this.closed) return;
    this.ws.terminate();
    this.closedBy(CloseCode.going, reason);
  }

  private sendBatch(batch: Message[]): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(batch);
    } catch (err) {
      this.unencodable(batch, err as Error);
      return;
    }
    if (frame.length <= this.sendLimit) {
      if (frame.length <= this.chunkBytes) this.ws.send(frame, { binary: true });
      else this.sendChunked(frame);
      return;
    }
    // Too many messages for one budget: halve until each part fits.
    if (this.sendHalves(batch)) return;
    this.oversize(batch[0]!, frame.length);
  }

  /** Sends a batch of several messages as two halves (each split further as needed); false for one message. */
  private sendHalves(batch: Message[]): boolean {
    if (batch.length < 2) return false;
    const mid = batch.length >> 1;
    this.sendBatch(batch.slice(0, mid));
    this.sendBatch(batch.slice(mid));
    return true;
  }

  /** A message over the send budget is not sent: logged, and reported to the owner. */
  private oversize(msg: Message, bytes: number): void {
    this.log(`not sending to ${this.label}: ${tooLargeReason(`a ${msg.op} message`, bytes, this.sendLimit, this.sendLimitOwner)}`);
    this.emit('oversize', msg, bytes, this.sendLimit, this.sendLimitOwner);
  }

  /**
   * The codec refused a batch (a value past msgpackr's 4 GiB buffers, or one it cannot encode):
   * it is reported, never thrown out of a flush, where it would end the process. Batches are
   * halved to find the message; one too large to encode is `oversize` (bytes Infinity), anything
   * else `unencodable` (msg, error).
   */
  private unencodable(batch: Message[], err: Error): void {
    if (this.sendHalves(batch)) return;
    const msg = batch[0]!;
    if (/larger than maximum buffer size/i.test(err.message)) {
      this.oversize(msg, Infinity);
      return;
    }
    this.log(`not sending ${msg.op} to ${this.label}: it cannot be encoded: ${err.message}`);
    this.emit('unencodable', msg, err);
  }

  /**
   * Sends one encoded frame as a header and raw pieces. They leave back to back (nothing else is
   * sent on this socket in between), so the receiver needs no ids to put them together; the
   * pieces are views of the frame, not copies.
   */
  private sendChunked(frame: Buffer): void {
    this.ws.send(encodeFrame([{ op: 'chunked', bytes: frame.length }]), { binary: true });
    for (let at = 0; at < frame.length; at += this.chunkBytes) {
      this.ws.send(frame.subarray(at, Math.min(frame.length, at + this.chunkBytes)), { binary: true });
    }
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.lastHeard = Date.now();
    if (this.assembly) {
      this.receivePiece(data, isBinary);
      return;
    }
    if (!isBinary) {
      this.protocolError('text frame received; Gluon speaks binary msgpack frames');
      return;
    }
    this.receiveFrame(data);
  }

  private receiveFrame(data: Buffer): void {
    let messages: Message[];
    try {
      messages = decodeFrame(data) as Message[];
    } catch (err) {
      this.protocolError((err as Error).message);
      return;
    }
    if (messages.length === 1 && messages[0]!.op === 'chunked') {
      this.startAssembly(messages[0]!.bytes);
      return;
    }
    for (const msg of messages) {
      if (this.closed) return;
      if (this.held) this.held.push(msg);
      else this.dispatch(msg);
    }
  }

  /** A `chunked` header: the next frames are pieces of one frame of `bytes` bytes. */
  private startAssembly(bytes: unknown): void {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) {
      this.protocolError(`"chunked" needs "bytes": a positive integer, got ${JSON.stringify(bytes) ?? typeof bytes}`);
      return;
    }
    if (bytes > this.maxMessageBytes) {
      const reason = `message of ${bytes} bytes exceeds the limit of ${this.maxMessageBytes} bytes`;
      this.log(`closing connection to ${this.label}: ${reason}`);
      this.close(CloseCode.tooLarge, reason);
      return;
    }
    // Not zero-filled: every byte is written by a piece before the frame is decoded.
    this.assembly = { buf: Buffer.allocUnsafeSlow(bytes), filled: 0 };
  }

  private receivePiece(data: Buffer, isBinary: boolean): void {
    const a = this.assembly!;
    if (!isBinary || a.filled + data.length > a.buf.length) {
      this.assembly = null;
      this.protocolError(isBinary
        ? `chunk overruns its message: ${a.filled + data.length} bytes of a ${a.buf.length}-byte message`
        : 'text frame in the middle of a chunked message');
      return;
    }
    data.copy(a.buf, a.filled);
    a.filled += data.length;
    if (a.filled < a.buf.length) return;
    this.assembly = null;
    this.receiveFrame(a.buf);
  }

  /**
   * Messages received before the owner could attach handlers (see {@link ConnectionOptions.held});
   * null once released.
   */
  private held: Message[] | null = null;

  /** Delivers held messages in order and stops holding. */
  release(): void {
    const held = this.held;
    this.held = null;
    for (const msg of held ?? []) {
      if (this.closed) return;
      this.dispatch(msg);
    }
  }

  private dispatch(msg: Message): void {
    if (this.checkInbound) {
      const bad = this.checkInbound(msg);
      if (bad) return this.protocolError(bad);
    }
    if (typeof msg.replyTo === 'number') {
      const p = this.pending.get(msg.replyTo);
      if (p) {
        this.pending.delete(msg.replyTo);
        if (p.timer) clearTimeout(p.timer);
        if (msg.op === 'error') p.reject(new RemoteError(String(msg.message ?? 'error'), msg.op));
        else p.resolve(msg);
        return;
      }
    }
    try {
      this.emit('message', msg);
    } catch (err) {
      this.log(`error handling ${msg.op} from ${this.label}: ${(err as Error).stack ?? err}`);
    }
  }

  /** Closes because the other side broke the protocol, saying why on both ends. */
  protocolError(reason: string): void {
    this.log(`closing connection to ${this.label}: protocol error: ${reason}`);
    this.close(CloseCode.protocolError, `protocol error: ${reason}`);
  }

  private closedBy(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAliveTimer);
    this.out = [];
    this.assembly = null;
    const err = new ConnectionClosedError(this.label, code, reason);
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.emit('close', code, reason);
  }
}

/**
 * Why a value cannot travel on a connection: names it, its encoded size and the budget, and how
 * to raise it. Every "too large" error in Gluon says it in these words.
 */
export function tooLargeReason(what: string, bytes: number, limit: number, whose: string): string {
  const size = Number.isFinite(bytes) ? `encodes to ${formatBytes(bytes)}` : 'is too large to encode (4 GiB or more)';
  return `${what} ${size}, over ${whose} message limit of ${formatBytes(limit)} ` +
    '(maxMessageBytes; --max-message-bytes on gluon-scheduler and gluon-worker)';
}

/**
 * What a close without a reason means, for the codes a socket reports on its own: 1006 is no
 * close frame at all, which a bare "(1006)" in a log does not tell a user.
 */
function unsaidReason(code: number): string {
  return code === 1006 ? 'ended without a close frame: the other side exited, was killed or dropped the connection, or the link was cut' : '';
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export function trimReason(reason: string): string {
  const buf = Buffer.from(reason);
  if (buf.length <= 123) return reason;
  return buf.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}

function describeSocketError(err: Error, maxFrameBytes: number): string {
  if (/max payload/i.test(err.message)) return `frame exceeds the limit of ${maxFrameBytes} bytes; closing (1009)`;
  return err.message;
}

function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}
