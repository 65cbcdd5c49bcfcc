import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FeedSocket } from './feed.js';

/**
 * The live feed over Server-Sent Events (`events`), for a page whose WebSocket upgrade never
 * arrives: a reverse proxy that strips it (nginx without the `Upgrade` lines), or a corporate
 * proxy that does not do WebSockets at all. The same messages as `live` (a full state, then a
 * delta per push), one `data:` line each, on a plain HTTP response; it stands in for a WebSocket
 * in {@link LiveFeed}, so the same buffer bound, skips and drops apply.
 */
export class EventStream extends EventEmitter {
  /** As a WebSocket's: 1 open, 2 closing, 3 closed. */
  readyState = 1;

  constructor(private readonly res: ServerResponse, headers: Record<string, string>) {
    super();
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx buffers a proxied response by default (proxy_buffering on): the page would get
      // nothing until its buffers filled. This header turns that off for this response alone.
      'X-Accel-Buffering': 'no',
    });
    // Sent at once, so the browser sees the stream open (EventSource's `open`) before the first push.
    res.write(': gluon live feed\n\n');
    res.on('close', () => {
      this.readyState = 3;
      this.emit('close');
    });
    res.on('error', (e) => this.emit('error', e));
  }

  /** Bytes written and not yet handed to the kernel (the response's and its socket's). */
  get bufferedAmount(): number {
    return this.res.writableLength;
  }

  /**
   * One message: its JSON holds no raw newline (JSON.stringify escapes them), so one `data:` line.
   * Bytes (the feed's, encoded once for every viewer) are written as they are, not copied: the
   * same buffer is queued on each stream.
   */
  send(data: string | Buffer): void {
    if (this.readyState !== 1) return;
    if (typeof data !== 'string') {
      this.res.cork();
      this.res.write('data: ');
      this.res.write(data);
      this.res.write('\n\n');
      this.res.uncork();
      return;
    }
    this.res.write(`data: ${data.includes('\n') ? data.split('\n').join('\ndata: ') : data}\n\n`);
  }

  /** Says why (a `close` event the page reads, as a WebSocket's close code), then ends the response. */
  close(code?: number, reason?: string): void {
    if (this.readyState !== 1) return;
    this.readyState = 2;
    this.res.end(`event: close\ndata: ${JSON.stringify({ code: code ?? 1000, reason: reason ?? '' })}\n\n`);
  }

  terminate(): void {
    this.readyState = 3;
    this.res.destroy();
  }

  /** As the feed takes it (a `ws` WebSocket's surface). */
  asFeedSocket(): FeedSocket {
    return this as unknown as FeedSocket;
  }
}
