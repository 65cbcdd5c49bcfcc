/**
 * Values larger than the frame limit, with the default limits (256 MiB frames, 1 GiB message
 * budget): a 300 MiB argument (client → scheduler → worker), a 300 MiB dependency fetched by one
 * worker from another, and a 300 MiB result fetched by the client. Each must arrive intact (a
 * position-weighted checksum of every element, against the same pattern made here); prints the
 * time and throughput of each leg and the processes' RSS afterwards. Run with
 * `npx tsx bench/large-data.ts` (after `npx tsc -b`); `--mib 600` for another size. Writes
 * bench/results/large-data.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalCluster, remoteFrom } from '@gluon/client';
import * as local from '../packages/client/test/fixtures/large.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'packages/client/test/fixtures');
const { bigArray, checksum } = remoteFrom<typeof import('../packages/client/test/fixtures/large.mjs')>(pathToFileURL(join(fixtures, 'large.mjs')));
const { values } = parseArgs({ options: { mib: { type: 'string', default: '300' } } });
const MiB = 1024 * 1024;
const bytes = Number(values.mib) * MiB;

// The same values and checksum as the tasks make, computed here by the fixture's own code.
const pattern = local.bigArray;
const sums = local.checksum;
const same = (a: { n: number; sum: number }, b: { n: number; sum: number }) => a.n === b.n && a.sum === b.sum;
function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, dashboard: false, cwd: root, allowModules: [fixtures] });
const rows: Array<{ leg: string; seconds: number; intact: boolean }> = [];
try {
  const client = await cluster.client();
  const arg = pattern(bytes, 3);
  let t0 = performance.now();
  const a = await client.submit(checksum, arg).result();
  rows.push({ leg: 'argument: client → scheduler → worker', seconds: (performance.now() - t0) / 1000, intact: same(a, sums(arg)) });

  const parts = [0, 1].map((i) => client.submit(bigArray, bytes, i));
  await client.wait(parts);
  const spread = new Set(parts.map((p) => p.state.workers[0])).size === 2;
  t0 = performance.now();
  const d = await client.submit(checksum, ...parts).result();
  rows.push({ leg: `dependency: worker → worker${spread ? '' : ' (NOT spread: no transfer)'}`, seconds: (performance.now() - t0) / 1000, intact: same(d, sums(pattern(bytes, 0), pattern(bytes, 1))) });

  t0 = performance.now();
  const r = await parts[1]!.result();
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ leg: 'result: worker → client', seconds, intact: r instanceof Float64Array && same(sums(r), sums(pattern(bytes, 1))) });

  console.log(`\nlarge data: ${values.mib} MiB values, default limits (256 MiB frames, 1 GiB budget), 2 workers\n`);
  for (const row of rows) {
    console.log(`${row.leg.padEnd(44)} ${row.seconds.toFixed(2).padStart(6)} s  ${(bytes / MiB / row.seconds).toFixed(0).padStart(5)} MiB/s  ${row.intact ? 'intact' : 'CORRUPT'}`);
  }
  const rss = { scheduler: rssMiB(cluster.schedulerProcess.pid), workers: cluster.workers.map((w) => rssMiB(w.pid)) };
  console.log(`RSS after: scheduler ${rss.scheduler.toFixed(0)} MiB, workers ${rss.workers.map((x) => x.toFixed(0)).join(', ')} MiB`);
  const out = join(root, 'bench', 'results');
  if (!existsSync(out)) mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'large-data.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, mib: Number(values.mib), rows, rss }, null, 2)}\n`);
  if (rows.some((row) => !row.intact)) process.exitCode = 1;
} finally {
  await cluster.close();
}
