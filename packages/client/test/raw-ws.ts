/**
 * A WebSocket client written by hand over a TCP socket, so tests can send what the `ws` library
 * never would: several frames in one write (one read on the other side), a frame header that
 * announces more bytes than are sent, garbage after the upgrade. It parses what the server
 * sends back: binary frames (decoded as Gluon frames when they decode) and the close frame.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { decodeFrame, encodeFrame, PACKAGE_VERSION, PROTOCOL_VERSION, type Message } from '@gluon/protocol';

/** The close a server sent (or 1006 when the socket ended without a close frame). */
export interface RawClose {
  code: number;
  reason: string;
}

export class RawSocket {
  /** Messages of the binary frames received so far. */
  readonly messages: Message[] = [];
  /** Resolves when the server closes (close frame, or the socket ends). */
  readonly closed: Promise<RawClose>;
  private buf: Buffer = Buffer.alloc(0);
  private waiters = new Set<() => void>();
  private closeFrame: RawClose | undefined;
  private onClosed!: (c: RawClose) => void;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((r) => (this.onClosed = r));
    socket.on('data', (d: Buffer) => this.parse(d));
    socket.on('error', () => {});
    socket.on('close', () => this.onClosed(this.closeFrame ?? { code: 1006, reason: 'socket ended without a close frame' }));
  }

  /** Connects to `ws://host:port/path` and completes the HTTP upgrade (bounded: 120 s: a scheduler starved on a loaded machine answers late). */
  static open(address: string, headers: Record<string, string> = {}): Promise<RawSocket> {
    const url = new URL(address.replace(/^ws/, 'http'));
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no upgrade from ${address} within 120 s`));
      }, 120_000);
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${status}`));
        }
        const raw = new RawSocket(socket);
        const rest = head.subarray(end + 4);
        if (rest.length) raw.parse(rest);
        resolve(raw);
      };
      socket.on('data', onData);
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('connect', () => {
        const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
      });
    });
  }

  /** Writes these bytes in one `write`, so they arrive in one read on loopback. */
  write(...chunks: Buffer[]): void {
    this.socket.write(Buffer.concat(chunks));
  }

  /**
   * Sends a frame header announcing `length` bytes, then zeros in 1 MiB writes until they are
   * all sent or the server has closed the socket. Resolves with the bytes written.
   */
  async stream(length: number): Promise<number> {
    this.socket.write(header(2, length));
    const chunk = Buffer.alloc(1 << 20);
    let sent = 0;
    while (sent < length && !this.socket.destroyed && this.socket.writable) {
      const n = Math.min(chunk.length, length - sent);
      const ok = this.socket.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      sent += n;
      if (!ok) {
        await new Promise<void>((r) => {
          const done = () => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            r();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    }
    return sent;
  }

  /** The first received message for which `pred` holds (bounded: `ms`; rejects if closed first). */
  message(pred: (m: Message) => boolean, ms = 120_000): Promise<Message> {
    return new Promise((res, rej) => {
      let ended = false;
      const check = () => {
        const m = this.messages.find(pred);
        if (m || ended) {
          clearTimeout(timer);
          this.waiters.delete(check);
          if (m) res(m);
          else rej(new Error(`closed before the expected message; got ${JSON.stringify(this.messages.map((x) => x.op))}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        rej(new Error(`no expected message within ${ms} ms; got ${JSON.stringify(this.messages.map((x) => x.op))}`));
      }, ms);
      void this.closed.then(() => {
        ended = true;
        check();
      });
      this.waiters.add(check);
      check();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Reads not yet joined to `buf`: joined once the frame they are part of is whole (large frames arrive in many reads). */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Bytes `buf` must hold before it is parsed again. */
  private need = 2;

  private parse(d: Buffer): void {
    this.parts.push(d);
    this.partsBytes += d.length;
    if (this.buf.length + this.partsBytes < this.need) return;
    this.buf = Buffer.concat([this.buf, ...this.parts]);
    this.parts = [];
    this.partsBytes = 0;
    this.need = 2;
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) {
        this.need = off + len;
        return;
      }
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (opcode === 2) {
        try {
          this.messages.push(...(decodeFrame(payload) as Message[]));
          for (const w of [...this.waiters]) w();
        } catch {
          // not a Gluon frame: ignored
        }
      } else if (opcode === 8) {
        this.closeFrame = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() };
        this.socket.end();
      }
    }
  }
}

/** A masked client frame header for `length` payload bytes (opcode 2: binary, 1: text). */
export function header(opcode: number, length: number, mask = Buffer.alloc(4)): Buffer {
  let h: Buffer;
  if (length < 126) {
    h = Buffer.from([0x80 | opcode, 0x80 | length]);
  } else if (length < 65536) {
    h = Buffer.alloc(4);
    h[0] = 0x80 | opcode;
    h[1] = 0x80 | 126;
    h.writeUInt16BE(length, 2);
  } else {
    h = Buffer.alloc(10);
    h[0] = 0x80 | opcode;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([h, mask]);
}

/** A whole masked client frame (binary by default). */
export function frame(payload: Buffer | string, opcode = typeof payload === 'string' ? 1 : 2): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = randomBytes(4);
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([header(opcode, body.length, mask), masked]);
}

/** A Gluon frame of these messages, as one masked WebSocket frame. */
export function messages(...msgs: object[]): Buffer {
  return frame(encodeFrame(msgs));
}

/** A hello of `role` with the fields a real one of that role has; override any. */
export function helloOf(role: 'client' | 'worker' | 'peer', fields: Record<string, unknown> = {}): Record<string, unknown> {
  const base = { op: 'hello', role, protocol: PROTOCOL_VERSION, version: PACKAGE_VERSION, name: `raw-${role}` };
  const worker = role === 'worker' ? { address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'raw' } : {};
  return { ...base, ...worker, ...fields };
}
