import type { Test } from 'tap';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFECTS, fuzzFiles, type CaseResult } from './fuzz-kit.js';

/**
 * A fixed set of bench/rootio-fuzz.ts's inputs, replayed (fuzz-replay.test.ts and
 * fuzz-replay-2.test.ts and fuzz-replay-3.test.ts, a third each): every committed scikit-hep-testdata fixture (TTrees, histograms and RNTuples, with zlib, LZ4, ZSTD and LZMA blocks) mutated 30 times
 * under one seed, each read whole in a child process with a time and an RSS bound. None may end
 * in a raw error, a typed error carrying one or naming no file, a hang, a blow-up of memory or a
 * crash. ROOTIO_FUZZ_SEED and ROOTIO_FUZZ_CASES replay other inputs.
 */
const SEED = Number(process.env.ROOTIO_FUZZ_SEED ?? 20261205);
const CASES = Number(process.env.ROOTIO_FUZZ_CASES ?? 30);
const dir = fileURLToPath(new URL('./fixtures/skhep/', import.meta.url));
// Not the ATLAS PHYSLITE file (2 MB, 5,000 fields in 4 RNTuples and 6 TTrees): each of its
// mutations is read whole, ~20 s on a loaded machine, and its 30 took the file past tap's 900 s.
// bench/rootio-fuzz.ts mutates it with every other fixture. Nor uproot-HZZ-objects.root (444 kB,
// 2,421 events of object branches, read whole per mutation), for the same reason.
const SLOW = new Set(['uproot-physlite-rntuple_v1-0-0-0.root', 'uproot-HZZ-objects.root']);
const all = readdirSync(dir).filter((f) => f.endsWith('.root') && !SLOW.has(f)).sort().map((f) => dir + f);

/**
 * The fixtures dealt into `parts` parts of about equal bytes: largest first, each to the part
 * holding the fewest bytes so far (ties to the lower part), each part then in name order. Every
 * parts-th by name put uproot-issue-210.root, -187, -371, -468 and -513 (1-2 MB each, their
 * objects read whole per mutation) in one part once two fixtures were added; by size they spread.
 */
function dealt(parts: number): string[][] {
  const out: Array<{ bytes: number; files: string[] }> = Array.from({ length: parts }, () => ({ bytes: 0, files: [] }));
  const sized = all.map((f) => ({ f, bytes: statSync(f).size })).sort((a, b) => b.bytes - a.bytes || (a.f < b.f ? -1 : 1));
  for (const { f, bytes } of sized) {
    const to = out.reduce((min, p) => (p.bytes < min.bytes ? p : min));
    to.bytes += bytes;
    to.files.push(f);
  }
  return out.map((p) => p.files.sort());
}

/**
 * Replays part `part` of `parts` of the fixtures (a third of their bytes each, see dealt): one test file
 * per part, so that each stays well within tap's 900 s a file on a loaded machine (all 42 in one
 * file took 931 s at load 25-30 once the fixtures' containers of objects were read, 914 more
 * branches of uproot-issue-210.root read whole per mutation; with nEXO's and KM3NeT's files, 44,
 * both halves ran past 900 s at load ~50).
 */
export async function replay(t: Test, part: number, parts: number): Promise<void> {
  const files = dealt(parts)[part]!;
  await t.test(`${files.length} of ${all.length} fixtures (part ${part + 1} of ${parts}) × ${CASES} mutations (seed ${SEED})`, async (t) => {
    const counts = new Map<string, number>();
    const defects: CaseResult[] = [];
    const skipped: string[] = [];
    await fuzzFiles(files, SEED, CASES, (r) => {
      counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
      if (DEFECTS.has(r.outcome)) defects.push(r);
    }, (file, why) => skipped.push(`${file}: ${why}`));
    t.comment([...counts].map(([k, v]) => `${v} ${k}`).join(', '));
    t.same(skipped, [], 'every fixture reads undamaged');
    for (const d of defects) t.fail(`${d.outcome}: ${d.file}#${d.index} (${d.what}): ${d.message} | ${d.stack ?? ''}`);
    t.equal(defects.length, 0, 'no input ends other than read or a typed error naming the file');
    // The mutations reach both ends: some are caught, some change nothing that is read.
    t.ok((counts.get('typed') ?? 0) > CASES, 'many inputs end in a typed error');
    t.ok((counts.get('identical') ?? 0) > 0, 'some inputs read the same as the undamaged file');
  });
}
