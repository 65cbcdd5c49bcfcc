import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { decodeFrame, encodeFrame, type DecodeOptions } from './codec.js';
import { CloseCode, type Message } from './messages.js';
import { inboundChecker, type Direction } from './ops.js';
import { formatBytes } from './units.js';
import { hopProbe, hrNow } from './hop-probe.js';
import { writeFramesWhole } from './whole-frames.js';
import { inMicrotask } from './microtask.js';
import { logText } from './log-text.js';
import { capacityFor, claimsWhole, DEFAULT_PIECE_STALL_MS, headerRefusal, overrun, stallReason, type Reassembly } from './reassembly.js';

/** The buffer of a chunked message before its first piece. */
const EMPTY = Buffer.alloc(0);
/**
 * Bytes of this process's chunked messages allocated whole at their header and not yet received:
 * bounded by reassembly.ts's HEADER_CLAIM_BUDGET_BYTES over all connections.
 */
let unbackedClaims = 0;

/**
 * @internal For tests: the bytes that chunked headers' whole buffers claim and no piece has filled
 * yet, over every connection of this process (what HEADER_CLAIM_BUDGET_BYTES bounds).
 */
export function headerClaimBytes(): number {
  return unbackedClaims;
}

/** Default largest frame a connection accepts or sends, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;
/**
 * Default largest message (after reassembly from chunks) a connection accepts or sends: a memory
 * budget, not a frame size. msgpackr cannot build buffers of 4 GiB or more.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;
/** Default size of the pieces a large message travels in (Dask's shard size). */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
/**
 * The same over TLS. Node sizes the buffer that takes a socket write's ciphertext to the write
 * (its NodeBIO's allocate hint) and keeps that buffer for the connection's life once it drained:
 * a scheduler that sent a 64 MiB argument to a worker over TLS kept 65 MiB more RSS until that
 * worker left, after every collection and malloc_trim (bench/tls-rss.ts). Pieces of 1 MiB keep it
 * to about that, at one frame header per MiB.
 */
export const TLS_CHUNK_BYTES = 1024 * 1024;
/**
 * Default most bytes that may wait to be written to one peer (in the socket, and frames queued
 * behind a large message being paced) before the connection is closed with 4010: the frame limit.
 * The large message being paced itself does not count (it exists anyway, and a slow reader of
 * one large value is slow, not hostile).
 */
export const DEFAULT_MAX_SEND_BACKLOG_BYTES = 256 * 1024 * 1024;
/**
 * The pieces of a large message are handed to the socket only while less than this waits in it,
 * and the rest follow as it drains: a slow reader holds at most this plus one piece in the
 * socket, and the pongs and frames behind the message are not stuck behind all of it.
 */
const PACE_HIGH_WATER_BYTES = 16 * 1024 * 1024;
/** The send options of every frame (one object, not one per send). */
const BINARY = { binary: true } as const;
/** How long a socket being closed waits for the peer's closing handshake before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;
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
  /** Size of the pieces a large message is sent in (default 64 MiB, 1 MiB over TLS; never above a frame limit). */
  chunkBytes?: number;
  /**
   * Most bytes that may wait to be written to the other side (default
   * {@link DEFAULT_MAX_SEND_BACKLOG_BYTES}, 256 MiB): past it, the peer is not reading, and the
   * connection is closed with 4010 and a reason naming the limit instead of buffering without
   * bound. The rest of a large message being paced out does not count.
   */
  maxSendBacklogBytes?: number;
  /**
   * Longest wait for the next piece of an unfinished chunked message (default
   * {@link DEFAULT_PIECE_STALL_MS}, 60 s): past it the connection is closed (4009) and the memory
   * of what arrived freed (see reassembly.ts).
   */
  pieceStallMs?: number;
  /** The other side's limits, from its hello or welcome (default: the same as ours). */
  remote?: Limits;
  /** Names the other side in logs, e.g. `worker w1 (127.0.0.1:40211)`. */
  label?: string;
  /** Where the other side's socket is (`127.0.0.1:40211`), as the accepting side saw it. */
  from?: string;
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
  /**
   * Keep the encoded values of `data` replies as their bytes (`EncodedValue`, codec.ts) instead of
   * decoding them: a worker's links to its peers, whose task threads decode them.
   */
  keepEncoded?: boolean;
}

/** A frame waiting to be handed to the socket; `large` names the large message it is part of (0: none). */
type Waiting = { buf: Buffer; large: number };

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
 * How many received frames are being handled (nested only if a handler makes another connection
 * handle one). While any is, sends are written when the outermost one ends, not in a microtask.
 */
let framesHandled = 0;
/** The connections sent to while a frame was handled, in the order of their first send. */
const toFlushAfterFrame: Connection[] = [];

/**
 * Writes what the handlers of a received frame sent, on every connection they sent to, as the
 * frame's handling ends: in a scheduler that is the answer it decided (a compute-task, a
 * key-in-memory), written before the socket's callback unwinds and before the microtasks and
 * ticks queued behind it, where a microtask flush waited ~1.5-2 µs longer on every hop of
 * bench/scheduler.ts (b) (docs/internals.md, "(b): the scheduler's window from a frame to its
 * answer"). The messages of one frame still leave together, one frame per peer. What is sent
 * while they are written (a close handler's, when a flush drops a peer) joins a connection still
 * to be written in this pass, or leaves in a microtask as any send outside a frame's handling.
 */
function flushAfterFrame(): void {
  let i = 0;
  try {
    // Its queue may have been flushed already (close flushes first): then this finds it empty.
    for (; i < toFlushAfterFrame.length; i++) toFlushAfterFrame[i]!.flush();
  } finally {
    // Should a flush throw, the others still go, each in a microtask as they would have. (Checked
    // first: this runs after every received frame, and the usual pass needs no copy.)
    if (i < toFlushAfterFrame.length) for (const conn of toFlushAfterFrame.slice(i + 1)) inMicrotask(() => conn.flush());
    toFlushAfterFrame.length = 0;
  }
}

/**
 * A handshaken WebSocket carrying msgpack frames of messages. Messages sent within one tick are
 * batched into one frame (those sent while a received frame is handled, as that frame's handling
 * ends); `request` pairs a message with its reply by `id`/`replyTo`.
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
  /** Where the other side's socket is, on the accepting side (see {@link ConnectionOptions.from}). */
  readonly from: string | undefined;
  readonly maxFrameBytes: number;
  /** Largest message this side reassembles. */
  readonly maxMessageBytes: number;
  /** Largest message sent: the smaller of both sides' budgets. */
  readonly sendLimit: number;
  /** Whose budget {@link sendLimit} is, for error texts: `"<label>'s"` or `"this <self>'s"`. */
  readonly sendLimitOwner: string;
  /** Size of the pieces a large message leaves in. */
  readonly chunkBytes: number;
  /** Most bytes that may wait to be written to the other side (see {@link ConnectionOptions.maxSendBacklogBytes}). */
  readonly maxSendBacklogBytes: number;
  /** Names this side in what it tells the other, e.g. `scheduler`. */
  private readonly self: string | undefined;
  /**
   * Frames not yet handed to the socket, in order from {@link waitHead}: the rest of a large
   * message being paced and everything sent after it. Empty almost always.
   */
  private waiting: Waiting[] = [];
  private waitHead = 0;
  /** Bytes of the frames in {@link waiting}. */
  private waitingBytes = 0;
  /** Which large message the first waiting pieces belong to, and their bytes (not counted as backlog). */
  private pacedId = 0;
  private pacedBytes = 0;
  private nextLargeId = 1;
  /** Bytes of large messages' pieces handed to the socket and not yet written out. */
  private piecesInSocket = 0;
  closed = false;
  /**
   * A chunked message being received: what the decisions read (reassembly.ts), the buffer
   * holding what arrived (whole from the header, or grown as pieces come: `whole` says which)
   * and its stall timer.
   */
  private assembly: { r: Reassembly; buf: Buffer; whole: boolean; timer: NodeJS.Timeout | undefined } | null = null;
  /** See {@link ConnectionOptions.pieceStallMs}. */
  private readonly pieceStallMs: number;
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
    this.from = opts.from;
    const own = ownLimits(opts);
    const remote = opts.remote ?? own;
    this.maxFrameBytes = own.maxFrameBytes;
    this.maxMessageBytes = own.maxMessageBytes;
    this.sendLimit = Math.min(own.maxMessageBytes, remote.maxMessageBytes);
    this.self = opts.self;
    this.sendLimitOwner = remote.maxMessageBytes < own.maxMessageBytes ? `${this.label}'s` : `this ${opts.self ?? 'side'}'s`;
    const tls = (ws as unknown as { _socket?: { encrypted?: boolean } })._socket?.encrypted === true;
    this.chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.min(opts.chunkBytes ?? (tls ? TLS_CHUNK_BYTES : DEFAULT_CHUNK_BYTES), own.maxFrameBytes, remote.maxFrameBytes));
    this.maxSendBacklogBytes = opts.maxSendBacklogBytes ?? DEFAULT_MAX_SEND_BACKLOG_BYTES;
    this.pieceStallMs = opts.pieceStallMs ?? DEFAULT_PIECE_STALL_MS;
    this.log = opts.log ?? defaultLog;
    this.checkInbound = opts.inbound ? inboundChecker(opts.inbound) : undefined;
    if (opts.held) this.held = [...opts.held];
    this.decodeOptions = { keepEncoded: opts.keepEncoded === true };
    writeFramesWhole(ws);
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
   * Whether this connection's socket keeps the process alive (Node's ref/unref), as a timer's
   * does: a client lets its connection go while the script waits on nothing from it, so a
   * script that never closed it ends (client liveness.ts).
   */
  setRef(on: boolean): void {
    const socket = (this.ws as unknown as { _socket?: { ref(): void; unref(): void } | null })._socket;
    if (on) socket?.ref(); else socket?.unref();
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
    this.flush();
    this.letGo(CloseCode.silent, `nothing heard from this side for ${silentMs} ms (the ${this.self ?? 'peer'}'s limit: ${limitMs} ms)`, `nothing heard for ${silentMs} ms (limit ${limitMs} ms)`);
  }

  /**
   * Closes with a reason for the peer (`told`) and one for this side's handlers (`local`), and
   * destroys the socket soon after whether or not the peer answers: one that stopped reading or
   * answering never will.
   */
  private letGo(code: number, told: string, local: string): void {
    closeWithin(this.ws, code, told);
    this.closedBy(code, local, true);
  }

  /**
   * Queues a message; it leaves with the others queued in this tick, or, when sent while a
   * received frame's messages are being handled (on any connection), with the others they queue,
   * once that frame is handled. Returns false once closed.
   */
  send(msg: Message): boolean {
    if (this.closed) return false;
    this.out.push(msg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (framesHandled > 0) toFlushAfterFrame.push(this);
      else inMicrotask(this.flushQueued);
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

  /** {@link flush} for {@link send}'s microtask: one function per connection, not one per flush. */
  private readonly flushQueued = (): void => this.flush();

  /** Sends what is queued now rather than at the end of the tick. */
  flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.closed) return;
    // What the peer left unread since earlier sends: this batch is not counted, so a burst to a
    // peer that reads is never taken for one that does not.
    if (this.checkSendBacklog()) return;
    const batch = this.out;
    this.out = [];
    hopProbe?.frame('send', this.label, batch);
    this.sendBatch(batch);
  }

  /** Flushes, then closes with a code and a reason (trimmed to what WebSocket allows). */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.closed) return;
    this.flush();
    // What waits behind a paced message goes before the close frame, as it would have unpaced.
    for (; this.waitHead < this.waiting.length; this.waitHead++) this.ws.send(this.waiting[this.waitHead]!.buf, BINARY);
    this.ws.close(code, trimReason(reason));
    this.closedBy(code, reason, true);
  }

  /** Closes at once, without a closing handshake (the other side is not answering). */
  terminate(reason = 'terminated'): void {
    if (this.closed) return;
    this.ws.terminate();
    this.closedBy(CloseCode.going, reason, true);
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
      if (frame.length <= this.chunkBytes) this.write(frame, 0);
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
    const id = this.nextLargeId++;
    this.write(encodeFrame([{ op: 'chunked', bytes: frame.length }]), id);
    for (let at = 0; at < frame.length; at += this.chunkBytes) {
      this.write(frame.subarray(at, Math.min(frame.length, at + this.chunkBytes)), id);
    }
  }

  /**
   * Hands a frame to the socket, or queues it behind what waits. `large` is the id of the large
   * message the frame is part of (0 for a frame of its own): those are paced, handed over only
   * while the socket holds less than {@link PACE_HIGH_WATER_BYTES}.
   */
  private write(buf: Buffer, large: number): void {
    if (this.waitHead === this.waiting.length && (large === 0 || this.ws.bufferedAmount < PACE_HIGH_WATER_BYTES)) {
      this.hand(buf, large);
      return;
    }
    if (this.waitHead === this.waiting.length) this.pacedId = large;
    this.waiting.push({ buf, large });
    this.waitingBytes += buf.length;
    if (large === this.pacedId) this.pacedBytes += buf.length;
  }

  /**
   * Every frame's write callback (one function, not one per send): once the socket has taken a
   * frame, waiting ones may follow. Whenever frames wait, the socket holds at least the high-water
   * mark, all of it written with this callback, so one of them calls it when it drains.
   */
  private readonly written = (): void => {
    if (this.waitHead < this.waiting.length && !this.closed) this.pump();
  };

  /**
   * Hands one frame to the socket. Pieces of large messages are counted while there, so that the
   * backlog leaves them out: paced, at most the high-water mark and one piece are ever there.
   */
  private hand(buf: Buffer, large: number): void {
    if (large === 0) {
      this.ws.send(buf, BINARY, this.written);
      return;
    }
    this.piecesInSocket += buf.length;
    this.ws.send(buf, BINARY, () => {
      this.piecesInSocket -= buf.length;
      this.written();
    });
  }

  /** Hands waiting frames to the socket in order, pacing the pieces of large messages. */
  private pump(): void {
    const w = this.waiting;
    while (this.waitHead < w.length) {
      const next = w[this.waitHead]!;
      if (next.large !== 0 && this.ws.bufferedAmount >= PACE_HIGH_WATER_BYTES) return;
      w[this.waitHead++] = undefined!;
      this.waitingBytes -= next.buf.length;
      if (next.large === this.pacedId) this.pacedBytes -= next.buf.length;
      this.hand(next.buf, next.large);
      const after = w[this.waitHead];
      // The next large message in line is now the one being paced: its pieces stop counting.
      if (after && after.large !== 0 && after.large !== this.pacedId) {
        this.pacedId = after.large;
        this.pacedBytes = 0;
        for (let i = this.waitHead; i < w.length && w[i]!.large === after.large; i++) this.pacedBytes += w[i]!.buf.length;
      }
    }
    this.waiting = [];
    this.waitHead = 0;
    this.waitingBytes = 0;
    this.pacedId = 0;
    this.pacedBytes = 0;
  }

  /**
   * Bytes waiting to be written to the other side: in the socket (ws's `bufferedAmount`, cheap to
   * read) and queued here, less the large message being paced (its pieces in the socket and the
   * rest of it here). Large messages queued behind it count.
   */
  get sendBacklog(): number {
    return this.ws.bufferedAmount - this.piecesInSocket + this.waitingBytes - this.pacedBytes;
  }

  /**
   * A peer that left more than the limit unread is not reading: drops it (4010) rather than buffer
   * on, and returns true. Checked before each flush; an owner that stops sending to a peer (a
   * worker given all the tasks it may hold) calls it from its clock, so a peer that stays over
   * the limit is dropped and its work goes elsewhere.
   */
  checkSendBacklog(): boolean {
    const backlog = this.sendBacklog;
    if (backlog <= this.maxSendBacklogBytes || this.closed) return false;
    const limit = `the ${this.self ?? 'peer'}'s send-backlog limit of ${formatBytes(this.maxSendBacklogBytes).replace(/ \(.*/, '')}`;
    const reason = `not reading: ${formatBytes(backlog)} waited to be sent, over ${limit} (${this.maxSendBacklogBytes} bytes, maxSendBacklogBytes)`;
    this.log(`closing connection to ${this.label}: ${reason}`);
    // The close frame's reason is short (123 bytes at most); the peer reads it only if it catches up.
    this.letGo(CloseCode.backlog, `not reading: more than ${limit} waited to be sent`, reason);
    return true;
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

  /** How received frames are decoded (see {@link ConnectionOptions.keepEncoded}). */
  private readonly decodeOptions: DecodeOptions;

  private receiveFrame(data: Buffer): void {
    const at = hopProbe ? hrNow() : 0;
    let messages: Message[];
    try {
      messages = decodeFrame(data, this.decodeOptions) as Message[];
    } catch (err) {
      this.protocolError((err as Error).message);
      return;
    }
    hopProbe?.frame('recv', this.label, messages, at);
    if (messages.length === 1 && messages[0]!.op === 'chunked') {
      this.startAssembly(messages[0]!.bytes);
      return;
    }
    this.handle(messages);
  }

  /** Hands messages to their handlers as one frame's (see {@link flushAfterFrame}), or holds them. */
  private handle(messages: readonly Message[]): void {
    framesHandled++;
    try {
      for (const msg of messages) {
        if (this.closed) return;
        if (this.held) this.held.push(msg);
        else this.dispatch(msg);
      }
    } finally {
      framesHandled--;
      if (framesHandled === 0) flushAfterFrame();
    }
  }

  /**
   * A `chunked` header: the next frames are pieces of one frame of `bytes` bytes. Its whole
   * buffer is allocated now only within the process's budget for such claims; otherwise the
   * buffer grows as pieces arrive (reassembly.ts says why).
   */
  private startAssembly(bytes: unknown): void {
    const refused = headerRefusal(bytes, this.maxMessageBytes);
    if (refused && !refused.tooLarge) return this.protocolError(refused.reason);
    if (refused) {
      this.log(`closing connection to ${this.label}: ${refused.reason}`);
      this.close(CloseCode.tooLarge, refused.reason);
      return;
    }
    const r: Reassembly = { bytes: bytes as number, filled: 0, heardAt: Date.now() };
    this.assembly = { r, buf: EMPTY, whole: false, timer: undefined };
    this.armStall(this.pieceStallMs);
    if (!claimsWhole(r.bytes, unbackedClaims)) return;
    try {
      // Not zero-filled: every byte is written by a piece before the frame is decoded.
      this.assembly.buf = Buffer.allocUnsafeSlow(r.bytes);
    } catch {
      return; // no room for it whole: it grows as the pieces come, as past the budget
    }
    this.assembly.whole = true;
    unbackedClaims += r.bytes;
  }

  /** Checks the unfinished message for a stall in `ms` (unref'd: it keeps no process alive). */
  private armStall(ms: number): void {
    const a = this.assembly!;
    a.timer = setTimeout(this.checkStall, ms);
    a.timer.unref();
  }

  /**
   * The stall is judged after the event loop's next poll, not in the timer: a process that was
   * itself stalled (a blocked loop, a SIGSTOP longer than the limit) runs its late timers before
   * reading its sockets, and would otherwise drop a peer whose pieces sit unread in its own buffer.
   */
  private readonly checkStall = (): void => {
    setImmediate(this.judgeStall);
  };

  private readonly judgeStall = (): void => {
    const a = this.assembly;
    if (!a || this.closed) return;
    const v = stallReason(a.r, Date.now(), this.pieceStallMs);
    if ('waitMs' in v) return this.armStall(v.waitMs);
    this.log(`closing connection to ${this.label}: ${v.reason}`);
    this.endAssembly();
    this.letGo(CloseCode.silent, v.reason, v.reason);
  };

  /** Lets go of the message being received: its memory, its claim and its timer. */
  private endAssembly(): void {
    const a = this.assembly;
    if (!a) return;
    clearTimeout(a.timer);
    if (a.whole) unbackedClaims -= a.r.bytes - a.r.filled;
    this.assembly = null;
  }

  private receivePiece(data: Buffer, isBinary: boolean): void {
    const a = this.assembly!;
    const wrong = isBinary ? overrun(a.r, data.length) : 'text frame in the middle of a chunked message';
    if (wrong) {
      this.endAssembly();
      this.protocolError(wrong);
      return;
    }
    const capacity = capacityFor(a.r, a.buf.length, data.length);
    if (capacity > a.buf.length) {
      let grown: Buffer;
      try {
        // Not zero-filled: every byte is written by a piece before the frame is decoded.
        grown = Buffer.allocUnsafeSlow(capacity);
      } catch (err) {
        // Out of memory or address space: this message is refused, the process goes on.
        const reason = `could not allocate ${capacity} bytes for a chunked message of ${a.r.bytes} bytes (${a.r.filled} received): ${(err as Error).message}`;
        this.endAssembly();
        this.log(`closing connection to ${this.label}: ${reason}`);
        this.close(CloseCode.tooLarge, reason);
        return;
      }
      a.buf.copy(grown, 0, 0, a.r.filled);
      a.buf = grown;
    }
    data.copy(a.buf, a.r.filled);
    a.r.filled += data.length;
    if (a.whole) unbackedClaims -= data.length;
    a.r.heardAt = Date.now();
    if (a.r.filled < a.r.bytes) return;
    const frame = a.buf;
    this.endAssembly();
    this.receiveFrame(frame);
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
    if (held) this.handle(held);
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

  /**
   * Settles the connection as closed, once. `byThisSide`: this side closed it (close, terminate,
   * or its own watchdog or backlog check), so a code such as 4009 describes the peer, not this
   * side; the 'close' event passes it on as its third argument.
   */
  private closedBy(code: number, reason: string, byThisSide = false): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAliveTimer);
    this.out = [];
    this.waiting = [];
    this.waitHead = 0;
    this.waitingBytes = 0;
    this.pacedBytes = 0;
    this.endAssembly();
    const err = new ConnectionClosedError(this.label, code, reason);
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.emit('close', code, reason, byThisSide);
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

/**
 * Sends a close frame (the reason trimmed to fit) and destroys the socket {@link CLOSE_GRACE_MS}
 * later whether or not the peer answers: one that stopped reading, or never finishes the closing
 * handshake, must not hold the socket and what waits in it forever.
 */
export function closeWithin(ws: Pick<WebSocket, 'close' | 'terminate'>, code: number, reason: string): void {
  ws.close(code, trimReason(reason));
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
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
  process.stderr.write(`${new Date().toISOString()} ${logText(line)}\n`);
}
