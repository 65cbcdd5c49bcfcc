/**
 * Results of many small records, and one large typed array, end to end: a task returns 10k, 100k
 * or 1M `{run, event, mass}` records (or one 100 MB Float64Array), and the client waits for it
 * (`submit → wait`: the task's thread, the hand-over to the worker's main thread, the scheduler
 * told) and fetches it (`result()`: the worker serves it, the client decodes it). One more row:
 * two 1M-record parts on two workers read by one task (one of them fetched from the other worker).
 *
 * The baseline, measured in the same run on this process: the wire codec alone encoding and
 * decoding the same value (`encodeValue` + `decodeValue`, best of ROUNDS), a floor no path through
 * processes can beat. Each row prints the medians over ROUNDS and their ratio to that floor.
 * docs/internals.md, "Results of many small
 * records", quotes it before and after the change that encodes such results in their thread.
 *
 * Run: `npx tsc -b && npx tsx bench/large-results.ts` (ROUNDS=3, MIB=100 for the typed array).
 * Writes bench/results/large-results.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalCluster, remoteFrom, type Future } from '@gluon/client';
import { decodeValue, encodeValue } from '@gluon/protocol';
import * as local from '../packages/client/test/fixtures/records.mjs';
import { envInt } from './env.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'packages/client/test/fixtures');
const fx = remoteFrom<typeof import('../packages/client/test/fixtures/records.mjs')>(pathToFileURL(join(fixtures, 'records.mjs')));
const ROUNDS = envInt('ROUNDS', 3, 1, 100);
const MIB = envInt('MIB', 100, 1, 1024);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: number) => performance.now() - t0;

/** The floor: encode and decode `value` with the wire codec alone, best of ROUNDS (ms). */
function floor(value: unknown): number {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    decodeValue(encodeValue(value));
    best = Math.min(best, ms(t0));
  }
  return best;
}

interface Row { what: string; floorMs: number; totalMs: number; finishMs: number; fetchMs: number; ratio: number; intact: boolean }
const rows: Row[] = [];

const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, dashboard: false, cwd: root, allowModules: [fixtures] });
try {
  const client = await cluster.client();
  /** Submits, waits (finish), fetches; ROUNDS times with a new seed each (a new key, nothing cached). */
  async function measure(what: string, base: number, make: (seed: number) => Future<unknown>, check: (v: unknown, seed: number) => boolean, value: unknown) {
    const floorMs = floor(value);
    const finish: number[] = [];
    const fetch: number[] = [];
    let intact = true;
    for (let r = 0; r < ROUNDS; r++) {
      const seed = base + r;
      const t0 = performance.now();
      const f = make(seed);
      await client.wait([f]);
      const t1 = performance.now();
      const v = await f.result();
      finish.push(t1 - t0);
      fetch.push(ms(t1));
      intact &&= check(v, seed);
      f.release();
    }
    const totals = finish.map((x, i) => x + fetch[i]!);
    const row = { what, floorMs, totalMs: median(totals), finishMs: median(finish), fetchMs: median(fetch), ratio: median(totals) / floorMs, intact };
    rows.push(row);
    console.log(`${what.padEnd(44)} floor ${row.floorMs.toFixed(0).padStart(6)} ms  total ${row.totalMs.toFixed(0).padStart(6)} ms  (finish ${row.finishMs.toFixed(0).padStart(5)}, fetch ${row.fetchMs.toFixed(0).padStart(5)})  ${row.ratio.toFixed(2).padStart(6)}× floor  ${intact ? 'intact' : 'CORRUPT'}`);
  }

  await client.submit(fx.records, 10).result(); // threads warm, module loaded
  for (const n of [10_000, 100_000, 1_000_000]) {
    const sum = (seed: number) => local.summarise(local.records(n, seed));
    await measure(`${n.toLocaleString('en')} records`, n, (seed) => client.submit(fx.records, n, seed),
      (v, seed) => Array.isArray(v) && v.length === n && local.summarise(v).sum === sum(seed).sum, local.records(n, 0));
  }
  const elements = (MIB * 1024 * 1024) / 8;
  await measure(`one ${MIB} MB Float64Array`, 7, (seed) => client.submit(fx.floats, elements, seed),
    (v, seed) => v instanceof Float64Array && v.length === elements && v[elements - 1] === (elements - 1) * 0.5 + seed, local.floats(elements, 0));

  // Two 1M-record parts on two workers, one task reads both: one part is fetched from the other worker.
  const parts = [client.submit(fx.records, 1_000_000, 1), client.submit(fx.records, 1_000_000, 2)];
  await client.wait(parts);
  const spread = new Set(parts.map((p) => p.state.workers[0])).size === 2;
  const want = [local.summarise(local.records(1_000_000, 1)), local.summarise(local.records(1_000_000, 2))];
  const partValue = local.records(1_000_000, 0);
  const twoFloor = 2 * floor(partValue);
  const times: number[] = [];
  let intact = true;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const got = await client.submit(fx.summariseAll.with({ key: `summariseAll-bench-${r}` }), ...parts).result();
    times.push(ms(t0));
    intact &&= got[0]!.sum === want[0]!.sum && got[1]!.sum === want[1]!.sum;
  }
  const what = `dependents: 2 × 1M records${spread ? ', 2 workers' : ' (NOT spread: no transfer)'}`;
  rows.push({ what, floorMs: twoFloor, totalMs: median(times), finishMs: median(times), fetchMs: 0, ratio: median(times) / twoFloor, intact });
  console.log(`${what.padEnd(44)} floor ${twoFloor.toFixed(0).padStart(6)} ms  total ${median(times).toFixed(0).padStart(6)} ms  ${(median(times) / twoFloor).toFixed(2).padStart(37)}× floor  ${intact ? 'intact' : 'CORRUPT'}`);

  const out = join(root, 'bench', 'results');
  if (!existsSync(out)) mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'large-results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, rows }, null, 2)}\n`);
  if (rows.some((row) => !row.intact)) process.exitCode = 1;
} finally {
  await cluster.close();
}
