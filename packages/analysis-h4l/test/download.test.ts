/** download: resumable with HTTP Range, verified against the server-reported size; a local server only. */
import t from 'tap';
import http from 'node:http';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { download } from '../src/download.js';

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
  if (cut) { res.write(part.subarray(0, 1000), () => setTimeout(() => res.destroy(), 50)); return; }
  res.end(part);
});
const dest = mkdtempSync(path.join(tmpdir(), 'h4l-dl-'));
t.teardown(() => { server.close(); rmSync(dest, { recursive: true, force: true }); });

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
  await t.rejects(download({ dest, baseUrl: base, files: ['MC/b.root'] }), /MC\/b\.root: (interrupted|got 1000 bytes)/);
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
