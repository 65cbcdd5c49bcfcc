import t from 'tap';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openRootFile, HttpSource, RootIOError } from '@gluon/rootio';
import { answer, scripted, serve } from './range-server.js';
import { bodyEnds, HttpSource as SourceHere } from '../src/source.js';

/**
 * Servers that answer wrongly or not at all, met as a new user would meet them (issue #16): the
 * failure is the server's, so a RootIOError saying what the server did, never the file blamed;
 * nothing taken beyond what was asked; nothing left running after the caller has its error.
 */
const file = readFileSync(fileURLToPath(new URL('fixtures/skhep/uproot-issue-210.root', import.meta.url)));

// Two subtests at a time: each scripts a server of its own and waits on its own requests and
// connections; one after another the file took the sum of its waits on the product's timers
// (a 10 s metadataTimeoutMs running out, 14 s of the 21).
t.jobs = 2;

/** Rejects when `p` has not settled within `ms` (a bound generous enough for a loaded machine). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

/** Resolves when the connection of `req` closes: the client let go of the request. */
function closed(req: IncomingMessage): Promise<void> {
  return new Promise((r) => (req.socket.destroyed ? r() : req.socket.once('close', () => r())));
}

t.test('a server answering another range than asked is named, not the file', async (t) => {
  // Right length, bytes from 16 further on, and a Content-Range that says so (after the size).
  let shift = 0;
  const { url } = await scripted(t, (n, req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range!)!;
    const a = Number(m[1]) + (n === 0 ? 0 : shift);
    const z = Number(m[2]) + (n === 0 ? 0 : shift);
    res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${file.length}`, 'content-length': z - a + 1 }).end(file.subarray(a, z + 1));
  });
  shift = 16;
  const err = await openRootFile(url, { http: { retries: 2, backoffMs: 1 } }).then(() => null, (e: unknown) => e);
  t.type(err, RootIOError);
  // The open's second request (the list of keys with the StreamerInfo record; until 2026-12-08 the
  // header's first 8 bytes, 0-7, which the first request now brings).
  const said = /^http:\/\/\S+: the server answered bytes (\d+)-(\d+) to a request for (\d+)-(\d+) \(after 2 attempts\)$/.exec((err as Error).message);
  t.ok(said, (err as Error).message);
  t.same(said?.slice(1).map(Number), said ? [Number(said[3]) + 16, Number(said[4]) + 16, Number(said[3]), Number(said[4])] : [], 'the range answered and the range asked');
  shift = 0;
  const src = await HttpSource.open(url, { retries: 1 });
  shift = 16;
  await t.rejects(src.read([[1000, 100]]), { name: 'RootIOError', message: /answered bytes 1016-1115 to a request for 1000-1099/ });
});

t.test('a body beyond what was asked is not taken', async (t) => {
  const big = 256 * 1024 * 1024;
  let written = 0;
  const stream = (res: ServerResponse, headers: Record<string, string | number>) => {
    res.writeHead(206, headers);
    const chunk = Buffer.alloc(1 << 20);
    const pump = () => {
      while (written < big && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.once('close', () => res.removeAllListeners('drain'));
    pump();
  };
  let announced = true;
  const seen: Array<Promise<void>> = [];
  const { url } = await scripted(t, (n, req, res) => {
    if (n === 0) return answer(file, req, res);
    seen.push(closed(req));
    const range = `bytes 0-${big - 1}/${file.length}`;
    stream(res, announced ? { 'content-range': range, 'content-length': big } : { 'content-range': range });
  });
  const src = await HttpSource.open(url, { retries: 1 });
  // The Content-Range says 0-…, so it is the length that is wrong: declared, or only sent.
  await t.rejects(src.read([[0, 1000]]), { name: 'RootIOError', message: /the server (announced 268435456 bytes for the 1000 asked|answered bytes 0-268435455)/ });
  await within(seen[0]!, 120_000, 'the announced body abandoned');
  t.ok(written < 64 * 1024 * 1024, `announced: the server got ${written} bytes out before the client let go, not the 256 MiB`);
  announced = false;
  written = 0;
  const bare = await scripted(t, (n, req, res) => {
    if (n === 0) return answer(file, req, res);
    seen.push(closed(req));
    stream(res, {});
  });
  const src2 = await HttpSource.open(bare.url, { retries: 1 });
  await t.rejects(src2.read([[0, 1000]]), { name: 'RootIOError', message: /the server sent more than the 1000 bytes asked for \(bytes=0-999\) \(after 1 attempt\)/ });
  await within(seen[1]!, 120_000, 'the unannounced body abandoned');
  t.ok(written < 64 * 1024 * 1024, `unannounced: the server got ${written} bytes out before the client let go, not the 256 MiB`);
});

t.test('metadataTimeoutMs bounds the first request too, and ends it', async (t) => {
  const asked: Array<Promise<void>> = [];
  const { url } = await scripted(t, (_n, req) => void asked.push(closed(req)));
  // Without the bound on the open, this would wait an hour (the request's own time-out).
  const err = await within(openRootFile(url, { metadataTimeoutMs: 200, http: { timeoutMs: 3_600_000, retries: 1 } }).then(() => null, (e: unknown) => e), 120_000, 'the open');
  t.type(err, RootIOError, 'the server is at fault, not the file');
  t.match((err as Error).message, /did not finish within 200 ms \(metadataTimeoutMs\): the server had not answered the first request$/);
  await within(asked[0]!, 120_000, 'the request ended');
  t.pass('the request was ended, not left to run on');
});

t.test('a server that stalls while metadata is read: RootIOError naming the wait, and the request ended', async (t) => {
  const stalled: Array<Promise<void>> = [];
  const { url } = await scripted(t, (n, req, res) => {
    if (n < 2) return answer(file, req, res);
    stalled.push(closed(req));
  });
  const err = await within(openRootFile(url, { metadataTimeoutMs: 300, http: { timeoutMs: 3_600_000 } }).then(() => null, (e: unknown) => e), 120_000, 'the open');
  t.type(err, RootIOError, 'not a RootFormatError blaming the file ("damaged metadata?")');
  t.match((err as Error).message, /reading the file header, keys, directories and streamers did not finish within 300 ms \(metadataTimeoutMs\): the server had not answered bytes \d+-\d+, asked \d+ ms before/);
  await within(stalled[0]!, 120_000, 'the stalled request ended');
  t.pass('the stalled request was ended when the open gave up');
});

t.test('close() ends the reads in flight and the waits between attempts', async (t) => {
  const pending: Array<Promise<void>> = [];
  const { url } = await scripted(t, (n, req, res) => {
    if (n === 0) return answer(file, req, res);
    if (n === 1) {
      pending.push(closed(req));
      return;
    }
    res.writeHead(503, { 'retry-after': '3600' }).end();
  });
  const src = await HttpSource.open(url, { timeoutMs: 3_600_000 });
  const hanging = src.read([[100, 10]]).then(() => null, (e: unknown) => e);
  while (pending.length === 0) await new Promise((r) => setImmediate(r));
  t.match(src.waiting(), /^the server had not answered bytes 100-109, asked \d+ ms before$/);
  const retrying = src.read([[5000, 10]]).then(() => null, (e: unknown) => e);
  await src.close();
  const [a, b] = await within(Promise.all([hanging, retrying]), 120_000, 'the reads after close()');
  for (const e of [a, b]) t.match(e, { name: 'RootIOError', message: /was stopped: the file was closed/ });
  await within(pending[0]!, 120_000, 'the connection ended');
  t.equal(src.waiting(), null, 'nothing in flight');
});

t.test('a port fetch refuses is said at once, not retried', async (t) => {
  const err = await within(HttpSource.open('http://127.0.0.1:1/f.root', { retries: 4, backoffMs: 600_000 }).then(() => null, (e: unknown) => e), 120_000, 'the open');
  t.match(err, { name: 'RootIOError', message: /^http:\/\/127\.0\.0\.1:1\/f\.root: fetch refuses to connect to this port \(a port the Fetch standard blocks/ });
});

/**
 * The server's connections, counted as they open and close; `none()` resolves once none is open
 * (the client let go of every one), waiting on their close events.
 */
function connections(server: Server) {
  const open = new Set<Socket>();
  let changed = () => {};
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.once('close', () => {
      open.delete(s);
      changed();
    });
  });
  return {
    get open() {
      return open.size;
    },
    none: () => new Promise<void>((r) => {
      changed = () => open.size === 0 && r();
      changed();
    }),
  };
}

t.test('metadataTimeoutMs running out after the open ends the stalled request', async (t) => {
  let stall = false;
  const stalled: Array<Promise<void>> = [];
  const { url, server } = await scripted(t, (_n, req, res) => {
    if (!stall) {
      // Not kept alive: once the reads are over, a connection still open is one the client kept.
      res.setHeader('connection', 'close');
      return answer(file, req, res);
    }
    stalled.push(closed(req));
  });
  const conns = connections(server);
  // The bound is generous for the open on a loaded machine; the object read is the one to stall.
  const f = await openRootFile(url, { metadataTimeoutMs: 10_000, http: { timeoutMs: 3_600_000 } });
  t.teardown(() => f.close());
  await within(conns.none(), 120_000, 'the open\'s connections closed');
  stall = true;
  const err = await within(f.tree('CollectionTree').then(() => null, (e: unknown) => e), 120_000, 'the tree');
  t.match(err, { name: 'RootIOError', message: /reading CollectionTree did not finish within 10000 ms \(metadataTimeoutMs\): the server had not answered bytes \d+-\d+/ });
  t.equal(stalled.length, 1, 'one request stalled');
  await within(conns.none(), 120_000, 'the stalled connection closed');
  t.equal(conns.open, 0, 'no connection left open by the client after its error');
  t.equal(f.source.waiting?.(), null, 'nothing in flight');
});

t.test('a read whose request fails ends its other requests', async (t) => {
  // Two ranges far apart: two requests. The second is refused (404) once the first has arrived,
  // which is never answered.
  const stalled: Array<Promise<void>> = [];
  let refuse: ServerResponse | null = null;
  const { url, server } = await scripted(t, (n, req, res) => {
    if (n === 0) {
      res.setHeader('connection', 'close');
      return answer(file, req, res);
    }
    if (req.headers.range === 'bytes=100-109') {
      stalled.push(closed(req));
    } else refuse = res;
    if (stalled.length && refuse) refuse.writeHead(404).end();
  });
  const conns = connections(server);
  const src = await HttpSource.open(url, { timeoutMs: 3_600_000, coalesceGap: 0 });
  await t.rejects(within(src.read([[100, 10], [file.length - 10, 10]]), 120_000, 'the read'), { name: 'RootIOError', message: /HTTP 404 Not Found for bytes \d+-\d+$/ });
  t.equal(src.waiting(), null, 'the other request had ended when the read rejected');
  await within(stalled[0]!, 120_000, 'the other request ended');
  await within(conns.none(), 120_000, 'every connection closed');
  t.equal(conns.open, 0, 'no connection left open');
  t.equal(src.waiting(), null, 'nothing in flight');
});

t.test('a Content-Range total beyond 2^53 - 1 is refused, naming the header', async (t) => {
  // 2^53 + 1 reads as the number 2^53 (rounded): taken as the size, every offset near it was inexact.
  for (const total of ['9007199254740993', '9007199254740992', '123456789012345678901234567890']) {
    const { url, requests } = await scripted(t, (_n, _req, res) => {
      res.writeHead(206, { 'content-range': `bytes 0-0/${total}`, 'content-length': 1 }).end('r');
    });
    const err = await HttpSource.open(url, { retries: 4, backoffMs: 1 }).then(() => null, (e: unknown) => e);
    t.type(err, RootIOError, `${total}: the server is at fault`);
    t.equal((err as Error)?.message, `${url}: the server's Content-Range "bytes 0-0/${total}" gives a file size beyond 9007199254740991 bytes (2^53 - 1, the largest offset read exactly): a wrong answer of the server or a proxy before it`);
    t.equal(requests(), 1, 'not retried: the same answer would come again');
  }
  // The largest exact size is taken.
  const { url } = await scripted(t, (_n, _req, res) => {
    res.writeHead(206, { 'content-range': 'bytes 0-0/9007199254740991', 'content-length': 1 }).end('r');
  });
  const src = await HttpSource.open(url);
  t.equal(src.size, Number.MAX_SAFE_INTEGER);
  await src.close();
});

/**
 * A file rewritten shorter on the server after it was opened: until 2026-12-07 a read past its new
 * end said only "HTTP 416 Range Not Satisfiable for bytes …", one partly past it "the server
 * answered bytes … to a request for …" four times over, and one within it read the new file's
 * bytes at the old file's offsets; none said the file had changed.
 */
t.test('a file that changed size on the server since it was opened: its URL and both sizes, not retried', async (t) => {
  // A small file (a tree of 8 branches): its baskets come first, its metadata last.
  const small = readFileSync(fileURLToPath(new URL('fixtures/skhep/uproot-small-dy-withoffsets.root', import.meta.url)));
  const { url, ranges, replace } = await serve(t, small);
  const f = await openRootFile(url, { http: { retries: 4, backoffMs: 1 } });
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  const cut = Math.floor(small.length / 2);
  replace(small.subarray(0, cut));
  ranges.length = 0;
  await t.rejects(tree.arrays(tree.branches.map((b) => b.name)), {
    name: 'RootIOError', path: url,
    message: new RegExp(`^${url}: the file changed size on the server since it was opened: ${small.length} bytes when opened, ${cut} now`),
  });
  t.ok(ranges.length > 0 && new Set(ranges).size === ranges.length, 'no range asked twice: another attempt gets the same answer');
  const src = await HttpSource.open(url, { retries: 4, backoffMs: 1 });
  t.teardown(() => src.close());
  replace(small.subarray(0, 1000));
  await t.rejects(src.read([[2000, 10]]), { name: 'RootIOError', message: `${url}: the file changed size on the server since it was opened: ${cut} bytes when opened, 1000 now (2000-2009 is past the new end) (the server answered 416 Range Not Satisfiable to bytes=2000-2009); open it again to read it as it is now` });
  // Inside the new size the bytes would be the new file's, read at the old one's offsets.
  await t.rejects(src.read([[0, 10]]), { message: `${url}: the file changed size on the server since it was opened: ${cut} bytes when opened, 1000 now (the server answered with Content-Range "bytes 0-9/1000" to bytes=0-9); open it again to read it as it is now` });
  // A 416 without the size it should carry.
  const bare = await scripted(t, (n, req, res) => (n === 0 ? answer(file, req, res) : res.writeHead(416).end()));
  const other = await HttpSource.open(bare.url, { retries: 4, backoffMs: 1 });
  t.teardown(() => other.close());
  await t.rejects(other.read([[5000, 10]]), { message: `${bare.url}: the file changed size on the server since it was opened: ${file.length} bytes when opened, and 5000-5009 is now past its end (the server answered 416 Range Not Satisfiable to bytes=5000-5009); open it again to read it as it is now` });
  t.equal(bare.requests(), 2, 'the open and one read: not retried');
});

t.test('a header fetch cannot send is refused when the file is opened, naming it, its value not shown', async (t) => {
  // fetch refused these on every attempt, each retried as a network failure, and its message
  // (and the final RootIOError) quoted the value: an Authorization header's is a credential.
  const { url, requests } = await scripted(t, (_n, req, res) => answer(file, req, res));
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ Authorization: 'Bearer s3cret\nX-Evil: 1' }, /: http\.headers\["Authorization"\]: the value has a line feed \(U\+000A\) at character 14 of 23, which a header cannot carry \(the value is not shown\)$/],
    [{ 'X-Token': 's3cret\r' }, /: http\.headers\["X-Token"\]: the value has a carriage return \(U\+000D\) at character 7 of 7,/],
    [{ 'X-Token': 's3cret\0' }, /: http\.headers\["X-Token"\]: the value has a NUL \(U\+0000\)/],
    [{ 'X-Token': 's3cret→' }, /: http\.headers\["X-Token"\]: the value has "→" \(U\+2192\) at character 7 of 7/],
    [{ 'Authorization: Bearer s3cret': '' }, /: http\.headers has an invalid header name: "Authorization" then ":" \(U\+003A\) \(character 14 of 28; the rest not shown\); a name is letters, digits and/],
    [{ '': 'x' }, /: http\.headers has an invalid header name: an empty string;/],
    [{ Authorization: 5 }, /: http\.headers\["Authorization"\] must be a string, got a number$/],
    [{ range: 'bytes=0-9' }, /: http\.headers\["range"\]: rootio sets each request's Range itself; remove this header$/],
  ];
  for (const [headers, message] of bad) {
    const what = JSON.stringify(headers);
    const direct = await HttpSource.open(url, { headers: headers as Record<string, string>, backoffMs: 1 }).then(() => null, (e: unknown) => e);
    t.match(direct, { name: 'TypeError', message }, `HttpSource.open: ${what}`);
    t.match((direct as Error)?.message, /^HttpSource\.open\(http:\/\/127\.0\.0\.1:\d+\/f\.root\): /, 'the call and URL named');
    const opened = await openRootFile(url, { http: { headers: headers as Record<string, string>, backoffMs: 1 } }).then(() => null, (e: unknown) => e);
    t.match(opened, { name: 'TypeError', message }, `openRootFile: ${what}`);
    t.match((opened as Error)?.message, /^openRootFile\(http:\/\/127\.0\.0\.1:\d+\/f\.root\): /, 'the call and URL named');
    for (const e of [direct, opened]) t.notMatch((e as Error)?.message, /s3cret/, 'the secret is not in the message');
  }
  // Other headers beside a bad one are not shown either (the whole object was printed).
  const err = await openRootFile(url, { http: { headers: { Authorization: 'Bearer s3cret', 'X-N': 5 as never } } }).then(() => null, (e: unknown) => e);
  t.match(err, { name: 'TypeError', message: /http\.headers\["X-N"\] must be a string, got a number$/ });
  t.notMatch((err as Error)?.message, /s3cret/);
  t.equal(requests(), 0, 'no request was made: nothing to retry');
  // Values fetch sends are taken: latin-1, spaces around (fetch trims them).
  const f = await openRootFile(url, { http: { headers: { 'X-Unit': ' µm ', Authorization: 'Bearer ok' } } });
  t.ok(requests() > 0);
  await f.close();
});

t.test('the bytes asked, without Content-Length, from a server that then holds the connection: complete once in', async (t) => {
  // Chunked, or ended by closing the connection: the body ends when the server says so, which
  // this one never does. Every attempt waited its whole time-out and failed ("the response body
  // was not complete within 60000 ms"): a read needs no more once the bytes asked are in.
  for (const framing of ['chunked', 'close-delimited'] as const) {
    const held: Array<Promise<void>> = [];
    const { url } = await scripted(t, (n, req, res) => {
      if (n === 0) return answer(file, req, res);
      held.push(closed(req));
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range!)!;
      const [a, z] = [Number(m[1]), Number(m[2])];
      if (framing === 'close-delimited') res.useChunkedEncodingByDefault = false;
      res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${file.length}` });
      // The bytes asked, one piece at a time (the body is taken across chunks), and no end.
      res.write(file.subarray(a, a + 40));
      res.write(file.subarray(a + 40, z + 1));
    });
    const src = await HttpSource.open(url, { retries: 1, timeoutMs: 60_000 });
    t.teardown(() => src.close());
    const [got] = await src.read([[1000, 100]]);
    t.same(Buffer.from(got!), file.subarray(1000, 1100), `${framing}: the bytes asked`);
    await within(held[0]!, 120_000, `${framing}: the held connection let go`);
    t.equal(src.waiting(), null, `${framing}: nothing in flight`);
  }
  // More than asked, sent with them, is still refused.
  const { url } = await scripted(t, (n, req, res) => {
    if (n === 0) return answer(file, req, res);
    res.writeHead(206, { 'content-range': `bytes 1000-1099/${file.length}` });
    res.write(file.subarray(1000, 1110));
  });
  const src = await HttpSource.open(url, { retries: 1, timeoutMs: 60_000 });
  t.teardown(() => src.close());
  await t.rejects(src.read([[1000, 100]]), { name: 'RootIOError', message: /the server sent more than the 100 bytes asked for \(bytes=1000-1099\) \(after 1 attempt\)$/ });
});

t.test('a chunked answer whose end marker comes after its bytes: the read does not wait for it, and its connection is kept', async (t) => {
  // The read stops once the bytes asked are in; a chunked body's end marker sent after them was
  // never read, so the body was cancelled and undici dropped the connection: every read over HTTP
  // opened a new one. Here the server sends each end marker only once the read has returned.
  const ends: Array<() => void> = [];
  let connections = 0;
  const { url, server } = await scripted(t, (n, req, res) => {
    // The connections are the client's to keep: the server keeps them for ever (keepAliveTimeout
    // 0, range-server.ts) and says an hour, so undici keeps an idle one its longest, 600 s (its
    // keepAliveMaxTimeout), not its 4 s default for a server that names no timeout. With the 4 s, a
    // pause of the process between two requests (a GC, a loaded machine) let undici close the idle
    // connection, and the next read rightly opened another.
    res.setHeader('keep-alive', 'timeout=3600');
    if (n === 0) return answer(file, req, res);
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range!)!;
    const [a, z] = [Number(m[1]), Number(m[2])];
    res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${file.length}` });
    res.write(file.subarray(a, z + 1));
    ends.push(() => res.end());
  });
  server.on('connection', () => connections++);
  // Bounded generously: the end marker is sent by this test right after each read returns.
  const waitMs = bodyEnds.waitMs;
  bodyEnds.waitMs = 120_000;
  t.teardown(() => void (bodyEnds.waitMs = waitMs));
  const src = await SourceHere.open(url, { retries: 1, timeoutMs: 60_000 });
  t.teardown(() => src.close());
  const before = { ...bodyEnds };
  let afterFirst = 0;
  for (let i = 0; i < 4; i++) {
    const [got] = await src.read([[1000 + 100 * i, 100]]);
    t.same(Buffer.from(got!), file.subarray(1000 + 100 * i, 1100 + 100 * i), `read ${i}: the bytes asked, before the server ended the body`);
    t.equal(ends.length, i + 1, `read ${i}: its body not ended yet when the read returned`);
    ends[i]!();
    // Waits for the end marker to be taken in (on the old code, which has no such wait, it was dropped already).
    await (src as unknown as { bodyEndsSettled?: () => Promise<void> }).bodyEndsSettled?.();
    // undici takes a connection whose answer has ended back only a turn of the event loop later
    // (setImmediate in its client, for servers that close a connection they said they would keep);
    // a read asked before that gets another connection. So the reads alternated between two, and
    // 'no connection of their own' held only while the open's was there, idle, as the second: a
    // pause between the open and the first read left one connection, and read 1 opened the second.
    // Each read is asked once its connection could be taken again: a dropped one cannot.
    await new Promise((r) => setImmediate(r));
    if (i === 0) afterFirst = connections;
  }
  t.equal(connections, afterFirst, `reads 1-3 made no connection of their own (${connections} in all)`);
  t.equal(bodyEnds.read - before.read, 4, 'each end marker was taken in');
  t.equal(bodyEnds.dropped - before.dropped, 0, 'none let go');
});
