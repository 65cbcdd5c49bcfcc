/** A loopback HTTP file server for tests of reads over HTTP. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server misbehaves: ignores Range (answers with the whole file), fails its first n requests (503), or answers every request with a status. */
export type Mode = { ignoreRange?: boolean; failFirst?: number; status?: number };

/**
 * A loopback file server with Range support, recording every range asked for. `replace` puts
 * other bytes in the file's place (a file rewritten on the server while a reader has it open);
 * a range starting past the end is answered 416 with the size in its Content-Range (RFC 9110).
 */
export async function serve(t: { teardown(fn: () => unknown): void }, body: Uint8Array, mode: Mode = {}) {
  const ranges: string[] = [];
  let failures = mode.failFirst ?? 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (failures > 0) {
      failures--;
      res.writeHead(503, 'Service Unavailable').end();
      return;
    }
    if (mode.status) {
      res.writeHead(mode.status).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m || mode.ignoreRange) {
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return;
    }
    ranges.push(req.headers.range!);
    const a = Number(m[1]);
    if (a >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const z = Math.min(Number(m[2]), body.length - 1);
    res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${body.length}`, 'content-length': z - a + 1 }).end(body.subarray(a, z + 1));
  });
  keepIdleConnections(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file.root`;
  return { url, ranges, replace: (bytes: Uint8Array) => void (body = bytes) };
}

/**
 * No keep-alive timeout: the server does not close a connection the client keeps for its next
 * request. With Node's 5 s, a test process starved past it (the server and the client are one
 * process) ran the server's timer before reading the request the client had just sent on that
 * connection, and the read failed "connection reset (read ECONNRESET) (after 1 attempt)"
 * (http-signals.test.ts with 5.5 s of starvation injected between two rounds of reads; seen at load
 * 30 in http-hostile.test.ts too). The client's own keep-alive ends idle connections, from its side;
 * close() at the end ends those still open.
 */
function keepIdleConnections(server: Server): void {
  server.keepAliveTimeout = 0;
}

/** A loopback server whose handler is given the request number (0, 1, …). */
export async function scripted(t: { teardown(fn: () => unknown): void }, handle: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  let n = 0;
  const server = createServer((req, res) => handle(n++, req, res));
  keepIdleConnections(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/f.root`, requests: () => n, server };
}

/**
 * Answers a range of `body` (206), or with `cut`, writes half of it and drops the connection: on
 * the next turn of the event loop (the head and half the body reach the client), or with
 * `'at once'` in the same tick, as `socket.destroy()` right after `res.write()` does, which discards
 * what Node's server holds for the next tick: the client sees the connection close with no answer.
 */
export function answer(body: Uint8Array, req: IncomingMessage, res: ServerResponse, cut: boolean | 'at once' = false): void {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')!;
  const a = Number(m[1]);
  const z = Math.min(Number(m[2]), body.length - 1);
  res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${body.length}`, 'content-length': z - a + 1 });
  if (!cut) {
    res.end(body.subarray(a, z + 1));
    return;
  }
  res.write(body.subarray(a, a + Math.floor((z - a + 1) / 2)));
  if (cut === 'at once') res.socket?.destroy();
  else setImmediate(() => res.socket?.destroy());
}
