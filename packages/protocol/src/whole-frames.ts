import type WebSocket from 'ws';

/**
 * Frames up to this size (header and payload) leave in one buffer; larger ones as ws writes
 * them, header and payload apart, so that a large payload is never copied.
 */
export const WHOLE_FRAME_MAX_BYTES = 16 * 1024;

/** The part of ws's (8.x) Sender this touches: every frame it sends passes `sendFrame`. */
interface FrameSender {
  sendFrame(list: Buffer[], cb?: (err?: Error | null) => void): void;
  _socket: { write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean };
}

/**
 * Makes `ws` write each small frame as one buffer. An unmasked frame (every frame a server
 * sends) leaves ws as a header and its payload, written to the socket corked, i.e. one `writev`
 * of two buffers; Node's corked path costs a buffered entry per write, a chunk array and a
 * callback state per `writev`: about 900 bytes of garbage per two frames in the scheduler of
 * bench/scheduler.ts (b), against a ~100-byte copy here. A masked frame (a client's) already
 * leaves whole. What ws sends keeps its order: ws's own queue (compression, which Gluon's
 * connections do not use, and Blobs, which they do not send) still runs before `sendFrame`.
 * Without a `sendFrame` where ws 8 has it, nothing is changed.
 */
export function writeFramesWhole(ws: WebSocket): void {
  const sender = (ws as unknown as { _sender?: FrameSender | null })._sender;
  if (!sender || typeof sender.sendFrame !== 'function' || typeof sender._socket?.write !== 'function') return;
  const asWs = sender.sendFrame;
  sender.sendFrame = function sendWhole(this: FrameSender, list: Buffer[], cb?: (err?: Error | null) => void): void {
    if (list.length === 2) {
      const bytes = list[0]!.length + list[1]!.length;
      if (bytes <= WHOLE_FRAME_MAX_BYTES) {
        this._socket.write(Buffer.concat(list, bytes), cb);
        return;
      }
    }
    asWs.call(this, list, cb);
  };
}
