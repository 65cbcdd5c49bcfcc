import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, RootFormatError, HttpSource } from '@gluon/rootio';
import { NO_DATA, perEntry, sharedData } from '../helpers.js';
import { answer, scripted, serve } from '../range-server.js';
import { closedPort } from '../../../../test/helpers/closed-port.js';

const data = sharedData();
if (!data) {
  t.skip;
} else {
  const path = join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root');
  const sample = join(data, 'root-testfiles', 'uproot-sample-6.20.04-zlib.root');
  const names = ['lep_n', 'lep_pt', 'lep_eta', 'lep_phi', 'lep_E', 'lep_charge', 'lep_type', 'trigE'];
  const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : ArrayBuffer.isView(x) ? Array.from(x as Float32Array) : x));

  t.test('over HTTP the values equal the local read', async (t) => {
    for (const p of [path, sample]) {
      const { url, ranges } = await serve(t, readFileSync(p));
      const local = await openRootFile(p);
      const remote = await openRootFile(url);
      t.teardown(() => Promise.all([local.close(), remote.close()]));
      t.same(remote.keys(), local.keys(), 'same keys');
      const treeName = local.keys().find((k) => k.className === 'TTree')!.name;
      const lt = await local.tree(treeName);
      const rt = await remote.tree(treeName);
      const cols = p === path ? names : lt.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
      const a = await lt.arrays(cols);
      const b = await rt.arrays(cols);
      for (const c of cols) t.equal(json(perEntry(b[c]!, rt.numEntries)), json(perEntry(a[c]!, lt.numEntries)), `${treeName}.${c}`);
      t.ok(ranges.length > 0, `${ranges.length} range requests`);
    }
  });

  t.test('adjacent ranges are coalesced into one request', async (t) => {
    const body = readFileSync(sample);
    const { url, ranges } = await serve(t, body);
    const src = await HttpSource.open(url, { coalesceGap: 0 });
    ranges.length = 0;
    const got = await src.read([[100, 50], [150, 50], [200, 10], [5000, 10]]);
    t.equal(ranges.length, 2, 'two requests: [100, 210) and [5000, 5010)');
    t.same(ranges.sort(), ['bytes=100-209', 'bytes=5000-5009']);
    t.same(Array.from(got[1]!), Array.from(body.subarray(150, 200)), 'each range gets its own bytes back');
    t.same(Array.from(got[3]!), Array.from(body.subarray(5000, 5010)));
    await t.rejects(src.read([[body.length - 5, 10]]), RootFormatError, 'a range past the end is a format error, not a request');
  });

  t.test('a server that ignores Range requests gets a clear error', async (t) => {
    const { url } = await serve(t, readFileSync(sample), { ignoreRange: true });
    await t.rejects(openRootFile(url), { name: 'RootIOError', message: /ignores HTTP Range requests/ });
  });

  t.test('transient failures are retried with backoff', async (t) => {
    const { url } = await serve(t, readFileSync(sample), { failFirst: 2 });
    const f = await openRootFile(url, { http: { retries: 4, backoffMs: 10 } });
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    t.equal(((await tree.arrays(['n'])).n! as ArrayLike<number>).length, 30);
  });

  t.test('persistent failures end in RootIOError naming the status and the attempts', async (t) => {
    const { url } = await serve(t, readFileSync(sample), { failFirst: 1000 });
    await t.rejects(openRootFile(url, { http: { retries: 3, backoffMs: 5 } }), { name: 'RootIOError', message: /503.*after 3 attempts/ });
    const gone = await serve(t, readFileSync(sample), { status: 404 });
    await t.rejects(openRootFile(gone.url), { name: 'RootIOError', message: /HTTP 404/ });
  });
}

const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff);

t.test('a connection dropped during a response body is retried', async (t) => {
  const { url, requests } = await scripted(t, (n, req, res) => answer(bytes, req, res, n === 1));
  const src = await HttpSource.open(url, { backoffMs: 1 });
  const [got] = await src.read([[1000, 150_000]]);
  t.same(Buffer.from(got!), Buffer.from(bytes.subarray(1000, 151_000)), 'the whole range arrives intact');
  t.equal(requests(), 3, 'open, the dropped attempt, its retry');
});

t.test('a body dropped on every attempt ends in RootIOError saying so', async (t) => {
  const { url } = await scripted(t, (n, req, res) => answer(bytes, req, res, n > 0));
  const src = await HttpSource.open(url, { backoffMs: 1, retries: 3 });
  await t.rejects(src.read([[0, 100_000]]), { name: 'RootIOError', message: /dropped during the response body.*after 3 attempts/ });
});

t.test('a connection dropped with no answer, or during the body, names the range and which it was', async (t) => {
  // The server writes the 206 head and half the body and destroys the socket in the same tick:
  // Node's server had not sent them yet, so the client sees the connection close with no answer.
  const atOnce = await scripted(t, (n, req, res) => answer(bytes, req, res, n > 0 && 'at once'));
  const src = await HttpSource.open(atOnce.url, { backoffMs: 1, retries: 2 });
  t.teardown(() => src.close());
  await t.rejects(src.read([[1000, 150_000]]), { name: 'RootIOError',
    message: `${atOnce.url}: the connection closed before any answer to bytes=1000-150999 (other side closed) (after 2 attempts)` });
  // A turn later the head and half the body arrive, then the connection closes.
  const later = await scripted(t, (n, req, res) => answer(bytes, req, res, n > 0));
  const src2 = await HttpSource.open(later.url, { backoffMs: 1, retries: 2 });
  t.teardown(() => src2.close());
  await t.rejects(src2.read([[1000, 150_000]]), { name: 'RootIOError',
    message: `${later.url}: the connection dropped during the response body of bytes=1000-150999 (the connection closed (other side closed)) (after 2 attempts)` });
});

/**
 * A body that stops coming: "the response body was not complete within N ms" named no range, where
 * every other failure of a body names `bytes=A-B` (found by the new-user trial). The URL is the
 * error's path. The time-out covers the answer's head and its body alike: a head that came after
 * the time-out (a starved process) would be "no answer to bytes=… within", which names them too.
 */
t.test('a body that times out names the URL and the range', async (t) => {
  const { url } = await scripted(t, (n, req, res) => {
    if (n === 0) return answer(bytes, req, res);
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range!)!;
    const [a, z] = [Number(m[1]), Number(m[2])];
    res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${bytes.length}`, 'content-length': z - a + 1 });
    res.write(bytes.subarray(a, a + 1000)); // and no more: the server holds the connection
  });
  const src = await HttpSource.open(url, { backoffMs: 1, retries: 1, timeoutMs: 1000 });
  t.teardown(() => src.close());
  await t.rejects(src.read([[5000, 20_000]]), { name: 'RootIOError',
    message: new RegExp(`^${url.replace(/[.]/g, '\\.')}: (the response body of bytes=5000-24999 was not complete|no answer to bytes=5000-24999) within 1000 ms \\(after 1 attempt\\)$`) });
});

t.test('429 is retried after the server\'s Retry-After', async (t) => {
  let limitedAt = 0;
  const { url, requests } = await scripted(t, (n, req, res) => {
    if (n === 1) {
      limitedAt = Date.now();
      res.writeHead(429, { 'retry-after': '1' }).end();
      return;
    }
    answer(bytes, req, res);
  });
  const src = await HttpSource.open(url, { backoffMs: 1 });
  const [got] = await src.read([[5, 10]]);
  t.same(Array.from(got!), Array.from(bytes.subarray(5, 15)));
  t.equal(requests(), 3, 'the limited request was asked again');
  t.ok(Date.now() - limitedAt >= 950, 'it waited the second the server asked for');
});

t.test('transport failures name their cause', async (t) => {
  const { url } = await scripted(t, () => {});
  const port = new URL(url).port;
  // A port nothing listens on, that no listen(0) is given (test/helpers/closed-port.ts); not one
  // a closed listener had, which another process's listen(0) could be given meanwhile.
  const deadPort = await closedPort();
  await t.rejects(HttpSource.open(`http://127.0.0.1:${deadPort}/f.root`, { backoffMs: 1, retries: 2 }),
    { name: 'RootIOError', message: /connection refused.*after 2 attempts/ });
  // One attempt is said in the singular (it said "after 1 attempts").
  await t.rejects(HttpSource.open(`http://127.0.0.1:${deadPort}/f.root`, { backoffMs: 1, retries: 1 }),
    { name: 'RootIOError', message: /connection refused.*\(after 1 attempt\)$/ });
  // An https:// URL for a plain HTTP server (new-user trial): OpenSSL's message ended in a line feed,
  // printed as "\\n" before "(after 1 attempt)", and said nothing of what to check.
  await t.rejects(HttpSource.open(`https://127.0.0.1:${port}/f.root`, { retries: 1 }),
    { name: 'RootIOError', message: /: TLS: .*wrong version number[^\\]*\(the server did not answer in TLS: is it an http:\/\/ server\?\) \(after 1 attempt\)$/ });
  await t.rejects(HttpSource.open(`http://127.0.0.1:${port}/f.root`, { backoffMs: 1, retries: 2, timeoutMs: 200 }),
    { name: 'RootIOError', message: /no answer to bytes=0-4095 within 200 ms/ });
  // A URL that does not parse (a path joined to a port without its slash, found by the fuzzer's
  // HTTP reads): the same on every attempt, so said once, not retried as transient ("ERR_INVALID_URL:
  // Invalid URL (after 4 attempts)", 0.7 s of back-off).
  for (const bad of [`http://127.0.0.1:${port}data/f.root`, 'http://[::1/f.root', 'http://exa mple.org/f.root']) {
    await t.rejects(openRootFile(bad), { name: 'RootIOError', message: `${bad}: not a valid URL (Invalid URL)` }, bad);
  }
});

/**
 * A 200 answer to the opening range request was always "the server ignores HTTP Range requests
 * (answered 200 with the whole file …)", also for 18 bytes of text/html: a login or error page
 * (as a single sign-on front end sends) is not the file at all (found by the new-user trial).
 */
t.test('a 200 answer says what it was: a web page, or the whole file', async (t) => {
  const page = await scripted(t, (_n, _req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': 18 }).end('<html>login</html>');
  });
  await t.rejects(openRootFile(page.url), {
    name: 'RootIOError',
    message: `${page.url}: the server answered 200 with 18 bytes of text/html to a range request, not the file's bytes: a web page or message (a login or error page?), not a ROOT file; check the URL and any credentials`,
  });
  const whole = await scripted(t, (_n, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes);
  });
  await t.rejects(openRootFile(whole.url), {
    name: 'RootIOError',
    message: `${whole.url}: the server ignores HTTP Range requests (answered 200 with the whole file, ${bytes.length} bytes of application/octet-stream, to a range request); ROOT files are read in pieces, so use a server that supports ranges`,
  });
  t.equal(page.requests() + whole.requests(), 2, 'one request each, not retried');
});

/**
 * Opening a file over HTTP took 7 requests one after the other (found by the new-user trial):
 * bytes=0-0 (the probe), 0-7, 0-127 (the header), the top directory, the list of keys, and the
 * StreamerInfo record twice. Now the opening request brings the file's start (header and top
 * directory), and the list of keys and the StreamerInfo record come in one request: 2 in all, 1
 * for a file shorter than the start asked (the server ends the range at the file's end).
 */
t.test('an open over HTTP asks the file\'s start once and the StreamerInfo record once', async (t) => {
  const skhep = new URL('../fixtures/skhep/', import.meta.url);
  for (const [name, want] of [['uproot-small-evnt-tree-fullsplit.root', 2], ['test_int_float_rntuple_v1-0-0-0.root', 1]] as const) {
    const body = readFileSync(new URL(name, skhep));
    const { url, ranges } = await serve(t, body);
    const remote = await openRootFile(url);
    const local = await openRootFile(fileURLToPath(new URL(name, skhep)));
    t.teardown(() => local.close());
    t.same(remote.keys(), local.keys(), `${name}: the keys as read locally`);
    await remote.close();
    t.equal(ranges.length, want, `${name}: ${want === 1 ? 'one request' : `${want} requests`} (${ranges.join(', ')})`);
    t.equal(ranges[0], 'bytes=0-4095', `${name}: the first asks the file's start`);
  }
  // What is read after the open asks the server again, and reads what a local read does.
  const name = 'test_int_float_rntuple_v1-0-0-0.root';
  const { url, ranges } = await serve(t, readFileSync(new URL(name, skhep)));
  const remote = await openRootFile(url);
  const local = await openRootFile(fileURLToPath(new URL(name, skhep)));
  t.teardown(() => Promise.all([remote.close(), local.close()]));
  const got = await (await remote.rntuple('ntuple')).arrays(['one_integers', 'two_floats']);
  t.same(got, await (await local.rntuple('ntuple')).arrays(['one_integers', 'two_floats']), 'the RNTuple reads as locally');
  t.ok(ranges.length > 1, `the RNTuple's reads were requests of their own (${ranges.length} in all)`);
});
