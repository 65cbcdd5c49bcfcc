/** download: resumable with HTTP Range, verified against the server-reported size; a local server only. */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { download, downloadList } from '../../src/download.js';
import { describeFetchError } from '../../src/errors.js';
import { closedPort } from '../../../../test/helpers/closed-port.js';

const files: Record<string, Buffer> = { '/Data/a.root': randomBytes(70_000), '/MC/b.root': randomBytes(12_345) };
let served = 0, ranged = 0, lie = false, cut = false;
const server = http.createServer((req, res) => {
  const body = files[req.url ?? ''];
  if (!body) { res.writeHead(404); res.end(); return; }
  const total = lie ? body.length + 10 : body.length;
  if (req.method === 'HEAD') { res.writeHead(200, { 'content-length': total, 'accept-ranges': 'bytes' }); res.end(); return; }
  const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  const start = m ? Number(m[1]) : 0;
  if (m) ranged++;
  const part = body.subarray(start);
  res.writeHead(m ? 206 : 200, { 'content-length': part.length, ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
  served += part.length;
  // An interrupted transfer: 1000 bytes, then nothing (the client's idle timeout ends it; no race
  // between a server-side destroy and the client reading what arrived).
  if (cut) { res.write(part.subarray(0, 1000)); return; }
  res.end(part);
});
const dest = mkdtempSync(path.join(tmpdir(), 'h4l-dl-'));
t.teardown(() => { server.closeAllConnections(); server.close(); rmSync(dest, { recursive: true, force: true }); });

t.test('downloads, resumes a partial file with Range, verifies sizes', async (t) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const names = ['Data/a.root', 'MC/b.root'];
  // A partial download left from an interrupted run.
  mkdirSync(path.join(dest, 'Data'), { recursive: true });
  writeFileSync(path.join(dest, 'Data/a.root.part'), files['/Data/a.root'].subarray(0, 30_000));
  const got = await download({ dest, baseUrl: base, files: names });
  t.same(got.map((g) => g.status), ['resumed', 'downloaded']);
  t.equal(ranged, 1);
  t.equal(served, 40_000 + 12_345, 'only the missing bytes of the partial file were fetched');
  for (const n of names) t.ok(readFileSync(path.join(dest, n)).equals(files['/' + n]), `${n} intact`);
  t.same((await download({ dest, baseUrl: base, files: names })).map((g) => g.status), ['up-to-date', 'up-to-date']);

  rmSync(path.join(dest, 'MC/b.root'));
  cut = true;
  await t.rejects(download({ dest, baseUrl: base, files: ['MC/b.root'], timeoutMs: 3000 }), /MC\/b\.root: interrupted after 1000 of 12345 bytes/);
  t.equal(readFileSync(path.join(dest, 'MC/b.root.part')).length, 1000, 'what arrived is kept');
  cut = false;
  t.ok(existsSync(path.join(dest, 'MC/b.root.part')), 'partial kept for resuming');
  t.equal((await download({ dest, baseUrl: base, files: ['MC/b.root'] }))[0].status, 'resumed');

  rmSync(path.join(dest, 'MC/b.root'));
  lie = true;
  await t.rejects(download({ dest, baseUrl: base, files: ['MC/b.root'] }), /got 12345 bytes but the server reports 12355/);
  lie = false;
  await t.rejects(download({ dest, baseUrl: base, files: ['nope.root'] }), /nope\.root: HTTP 404/);
  await t.rejects(download({ dest, baseUrl: 'http://127.0.0.1:9/', files: ['x.root'] }), /x\.root: unreachable/);
});

t.test('a server that accepts and never answers is given up on; no empty Data/ is left', async (t) => {
  const sockets = new Set<import('node:net').Socket>();
  const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close(); });
  const base = `http://127.0.0.1:${(silent.address() as { port: number }).port}/`;
  const d = path.join(dest, 'silent');
  const t0 = performance.now();
  await t.rejects(download({ dest: d, baseUrl: base, files: ['Data/a.root'], timeoutMs: 3000 }),
    /^http:\/\/127\.0\.0\.1:\d+\/Data\/a\.root: unreachable \(the server sent nothing for 3 s\)$/);
  t.ok(performance.now() - t0 < 60_000, 'gave up (bounded)');
  t.notOk(existsSync(d), 'no directory created');
});

t.test('a body that stalls is given up on too, the partial file kept', async (t) => {
  const stall = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': 5000 });
    if (req.method === 'HEAD') { res.end(); return; }
    res.write(Buffer.alloc(1000, 7));   // then nothing
  });
  await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
  t.teardown(() => { stall.closeAllConnections(); stall.close(); });
  const base = `http://127.0.0.1:${(stall.address() as { port: number }).port}/`;
  const d = path.join(dest, 'stall');
  await t.rejects(download({ dest: d, baseUrl: base, files: ['MC/s.root'], timeoutMs: 3000 }),
    /MC\/s\.root: interrupted after 1000 of 5000 bytes \(the server sent nothing for 3 s\); run again to resume/);
  t.equal(readFileSync(path.join(d, 'MC/s.root.part')).length, 1000);
});

t.test('an unreachable host says why: refused, TLS, DNS', async (t) => {
  // A port nothing listens on, that no listen(0) is given (test/helpers/closed-port.ts); not one
  // a closed listener had, which another process's listen(0) could be given meanwhile.
  const port = await closedPort();
  const d = path.join(dest, 'refused');
  await t.rejects(download({ dest: d, baseUrl: `http://127.0.0.1:${port}/`, files: ['Data/a.root'] }),
    /Data\/a\.root: unreachable \(connection refused \(ECONNREFUSED\): nothing listens there\)$/);
  t.notOk(existsSync(d), 'no directory created');
  // https:// to a plain-HTTP server: the TLS handshake fails.
  const plain = http.createServer((_, res) => res.end('plain'));
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  t.teardown(() => plain.close());
  await t.rejects(download({ dest: d, baseUrl: `https://127.0.0.1:${(plain.address() as { port: number }).port}/`, files: ['Data/a.root'] }),
    /Data\/a\.root: unreachable \(TLS failed: .*wrong version number.* \(ERR_SSL_WRONG_VERSION_NUMBER\)\)$/);
  t.notOk(existsSync(d));
  // DNS: no lookup leaves this machine in a test; the cause undici reports is described.
  t.equal(describeFetchError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND', hostname: 'opendata.example' } })),
    'DNS lookup of opendata.example failed (ENOTFOUND)');
});

t.test('the framework selection downloads its other 4-lepton MC samples too', async (t) => {
  const nb = downloadList('notebook'), fw = downloadList('framework');
  t.equal(nb.length, 12);
  t.ok(nb.every((f) => fw.includes(f)), 'the notebook\'s files among them');
  for (const f of ['MC/mc_361108.Ztautau.4lep.root', 'MC/mc_363356.ZqqZll.4lep.root', 'MC/mc_363491.lllv.4lep.root', 'MC/mc_363492.llvv.4lep.root', 'MC/mc_410011.single_top_tchan.4lep.root']) t.ok(fw.includes(f), f);
  t.equal(fw.length, 22, '4 data periods and 18 MC samples');
  t.notOk(fw.some((f) => f.includes('2lep')), 'not the two-lepton skims of another release');
  // download() fetches that list for selection framework.
  const asked: string[] = [];
  const fake = (async (url: string) => { asked.push(url); return new Response(null, { status: 404, statusText: 'Not Found' }); }) as unknown as typeof fetch;
  await t.rejects(download({ dest: path.join(dest, 'fw'), baseUrl: 'http://127.0.0.1:1/', selection: 'framework', fetchImpl: fake }), /HTTP 404/);
  t.equal(asked[0], 'http://127.0.0.1:1/Data/data_A.4lep.root');
});
