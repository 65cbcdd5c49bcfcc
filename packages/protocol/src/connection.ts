import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { decodeFrame, encodeFrame } from './codec.js';
import { CloseCode, type Message } from './messages.js';

/** Default largest frame a connection accepts or sends, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

export type Logger = (line: string) => void;

export interface ConnectionOptions {
  /** Largest frame accepted or sent; larger incoming frames close the connection (1009). */
  maxFrameBytes?: number;
  /** Names the other side in logs, e.g. `worker w1 (127.0.0.1:40211)`. */
  label?: string;
  log?: Logger;
  /**
   * Start out holding received messages (beginning with these, already received) until
   * {@link Connection.release}: frames that arrive in the same TCP chunk as the handshake answer
   * are parsed before the caller of `connect` can attach handlers.
   */
  held?: Message[];
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
 * Events: `message` (msg), `close` (code, reason).
 */
export class Connection extends EventEmitter {
  readonly label: string;
  readonly maxFrameBytes: number;
  closed = false;
  private out: Message[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly log: Logger;

  constructor(readonly ws: WebSocket, opts: ConnectionOptions = {}) {
    super();
    this.label = opts.label ?? 'peer';
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.log = opts.log ?? defaultLog;
    if (opts.held) this.held = [...opts.held];
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('error', (err) => this.log(`connection to ${this.label}: ${describeSocketError(err, this.maxFrameBytes)}`));
    ws.on('close', (code, reason) => this.closedBy(code, reason.toString()));
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
    const frame = encodeFrame(batch);
    if (frame.length <= this.maxFrameBytes) {
      this.ws.send(frame, { binary: true });
      return;
    }
    if (batch.length > 1) {
      // Too many messages for one frame: halve until each part fits.
      const mid = batch.length >> 1;
      this.sendBatch(batch.slice(0, mid));
      this.sendBatch(batch.slice(mid));
      return;
    }
    const msg = batch[0]!;
    this.log(`not sending ${msg.op} to ${this.label}: ${frame.length} bytes exceeds the frame limit of ${this.maxFrameBytes} bytes`);
    this.emit('oversize', msg, frame.length);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.protocolError('text frame received; Gluon speaks binary msgpack frames');
      return;
    }
    let messages: Message[];
    try {
      messages = decodeFrame(data) as Message[];
    } catch (err) {
      this.protocolError((err as Error).message);
      return;
    }
    for (const msg of messages) {
      if (this.closed) return;
      if (this.held) this.held.push(msg);
      else this.dispatch(msg);
    }
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
    this.out = [];
    const err = new ConnectionClosedError(this.label, code, reason);
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.emit('close', code, reason);
  }
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
