/**
 * Mutation fuzzing of the ROOT reader (not a test; test/fuzz-replay.test.ts replays a fixed set):
 * every ROOT file of packages/rootio/test/fixtures/skhep and ../shared/data, mutated `--cases`
 * times each under `--seed`, aimed at the file's structures (key headers, compressed block
 * headers of every codec, TTree/TBranch/StreamerInfo payloads, baskets, RNTuple anchors,
 * envelopes, page lists and pages; also inside compressed blocks, re-deflated so checksums pass).
 * Each input is read whole in a child process with a time and an RSS bound, and classified.
 * Prints counts per outcome, per target and per kind of change, and every defect with what
 * replays it.
 *
 *   npx tsx bench/rootio-fuzz.ts [--cases 200] [--seed N] [--files a.root,b.root] [--only file#i] [--via local|threads|http]
 *
 * `--via threads` reads with decompressThreads 2, `--via http` from a loopback HTTP server.
 */
import { parseArgs } from 'node:util';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFECTS, fuzzFiles, type CaseResult } from '../packages/rootio/test/fuzz-kit.js';
import { sharedDataDir } from '../packages/rootio/test/shared-data.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '200' }, seed: { type: 'string' }, files: { type: 'string' }, only: { type: 'string' }, via: { type: 'string', default: 'local' } } });
const cases = Number(values.cases);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed) || !['local', 'threads', 'http'].includes(values.via)) {
  process.stderr.write('usage: bench/rootio-fuzz.ts [--cases N] [--seed N] [--files a.root,b.root] [--only file#i] [--via local|threads|http]\n');
  process.exit(2);
}
// The reading process (test/fuzz-child.ts) inherits it.
process.env.ROOTIO_FUZZ_VIA = values.via;

function rootFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? rootFiles(join(dir, e.name)) : e.name.endsWith('.root') ? [join(dir, e.name)] : []).sort();
}
const fixtures = fileURLToPath(new URL('../packages/rootio/test/fixtures/skhep', import.meta.url));
const shared = sharedDataDir();
const paths = values.files ? values.files.split(',') : [...rootFiles(fixtures), ...(shared ? rootFiles(shared) : [])];
const only = values.only ? ((f: string, i: number) => `${f}#${i}` === values.only) : undefined;

const byOutcome = new Map<string, number>();
const byTarget = new Map<string, Map<string, number>>();
const defects: CaseResult[] = [];
const skipped: string[] = [];
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
let n = 0;
let peakGrew = 0;
const t0 = performance.now();
process.stdout.write(`rootio fuzz: ${paths.length} files × ${cases} cases, seed ${seed}, read ${values.via}\n`);
let lastFile = '';
const { starts } = await fuzzFiles(paths, seed, cases, (r, b) => {
  if (r.file !== lastFile) {
    lastFile = r.file;
    process.stderr.write(`  ${r.file}: undamaged read ${b.baseMs.toFixed(0)} ms, +${(b.baseGrowth / 2 ** 20).toFixed(0)} MiB; declared ${(b.declared / 2 ** 20).toFixed(1)} MiB; bounds ${(b.timeoutMs / 1000).toFixed(0)} s, +${(b.maxGrowth / 2 ** 20).toFixed(0)} MiB\n`);
  }
  n++;
  peakGrew = Math.max(peakGrew, r.grewMiB);
  bump(byOutcome, r.outcome);
  const key = `${r.target} / ${r.op}`;
  if (!byTarget.has(key)) byTarget.set(key, new Map());
  bump(byTarget.get(key)!, r.outcome);
  if (DEFECTS.has(r.outcome)) {
    defects.push(r);
    process.stderr.write(`  DEFECT ${r.outcome}: ${r.file}#${r.index} (${r.what}): ${r.message}\n      ${r.stack ?? ''}\n`);
  }
}, (file, why) => {
  skipped.push(`${file}: ${why}`);
  process.stderr.write(`  SKIPPED ${file}: ${why}\n`);
}, only);
const secs = (performance.now() - t0) / 1000;
process.stdout.write(`\n${n} inputs in ${secs.toFixed(0)} s (${(n / secs).toFixed(1)}/s), ${starts} reading processes started; largest RSS growth of a read ${peakGrew.toFixed(0)} MiB\n\nby outcome:\n`);
for (const [k, v] of [...byOutcome].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${String(v).padStart(7)}  ${k}\n`);
process.stdout.write('\nby target / change (outcomes):\n');
for (const [k, m] of [...byTarget].sort((a, b) => a[0].localeCompare(b[0]))) {
  process.stdout.write(`  ${k}: ${[...m].map(([o, c]) => `${o} ${c}`).join(', ')}\n`);
}
for (const s of skipped) process.stdout.write(`\nskipped ${s}`);
process.stdout.write(`\n${defects.length} defects${defects.length ? ' (replay one: --only <file#index> with the same --seed and --files)' : ''}\n`);
for (const d of defects) process.stdout.write(`  ${d.outcome}: ${d.file}#${d.index} ${d.what}\n    ${d.message}\n    ${d.stack ?? ''}\n`);
process.exit(0);
