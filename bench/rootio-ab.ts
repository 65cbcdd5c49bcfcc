/**
 * Two builds of @gluon/rootio in one process, on bench/rootio.ts's file (run that first: it
 * generates the file): the 7 analysis branches read whole on 1 thread, each read into the columns
 * of that build's read before (`into`), against the fastest inflate of the same baskets (zlib into
 * one reused buffer), in rounds whose order is reversed every other round (A B Z, Z B A, ...),
 * each side from a collected heap. Prints CPU and wall time per side, each side's median ratio to
 * the inflate of its round, and the median of the per-round B/A ratios. Not a test.
 *
 * Run: `A=/path/to/other/dist npx tsx bench/rootio-ab.ts` (A: the `dist` folder of the build to
 * compare against, e.g. a copy of packages/rootio/dist made before a change; B is this tree's
 * packages/rootio/dist, or the folder `B=` names: a copy, so that building goes on during the run). `REPEAT=` rounds (15), `N=` the file's events (2,000,000), `FRESH=1` each read
 * in fresh memory instead of `into`. `THREADS=2` (or more): both builds read with that many
 * `decompressThreads`, and a fourth side, this build on 1 thread ("one"), gives each build's
 * speed-up over it in the same round (wall time: the second core is the point).
 */
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadavg } from 'node:os';
import type * as Rootio from '@gluon/rootio';
import { envInt, envString } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const N = envInt('N', 2_000_000, 1, 1e9);
const REPEAT = envInt('REPEAT', 15, 1, 1e9);
const FRESH = process.env.FRESH === '1';
const THREADS = envInt('THREADS', 1, 1, 64);
const aDist = envString('A');
if (!aDist) {
  process.stderr.write('rootio-ab.ts: set A to the dist folder of the build to compare against\n');
  process.exit(2);
}
const SEVEN = ['lep_n', 'lep_pt', 'lep_eta', 'lep_phi', 'lep_E', 'lep_charge', 'lep_type'];
const path = join(here, '..', '.cache', 'rootio-bench', `4lep-schema-${N}-zlib1.root`);

const a = (await import(pathToFileURL(join(resolve(aDist), 'index.js')).href)) as typeof Rootio;
const bDist = envString('B');
const b = (await import(bDist ? pathToFileURL(join(resolve(bDist), 'index.js')).href : '@gluon/rootio')) as typeof Rootio;

type Meta = { fBranches: { arr: Array<{ fName: string; fWriteBasket: number; fBasketSeek: number[]; fBasketBytes: number[] }> } };
const fz = await b.openRootFile(path);
const meta = (await fz.object('mini')) as unknown as Meta;
const ranges = meta.fBranches.arr.filter((x) => SEVEN.includes(x.fName)).flatMap((x) =>
  Array.from({ length: x.fWriteBasket }, (_, k) => [Number(x.fBasketSeek[k]), Number(x.fBasketBytes[k])] as [number, number]));
const blocks = (await fz.source.read(ranges)).map((blob) => {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return { payload: blob.subarray(dv.getInt16(14)), size: dv.getInt32(6) };
});
const reused = new Uint8Array(Math.max(...blocks.map((x) => x.size)));

/**
 * One side: a fresh tree reader each time (as bench/rootio.ts), into the columns of its own read
 * before, or with `FRESH=1` each read in fresh memory (its columns dropped after it).
 */
function reader(f: Rootio.RootFile) {
  let previous: Record<string, Rootio.Column> | undefined;
  return async () => {
    const cols = await (await f.tree('mini')).arrays(SEVEN, { into: previous });
    previous = FRESH ? undefined : cols;
  };
}
const fa = await a.openRootFile(path, { decompressThreads: THREADS });
const fb = await b.openRootFile(path, { decompressThreads: THREADS });
const f1 = THREADS > 1 ? await b.openRootFile(path) : null;
const sides: Record<string, () => Promise<unknown>> = {
  A: reader(fa),
  B: reader(fb),
  inflate: async () => blocks.reduce((n, x) => n + b.decompress(x.payload, x.size, path, 0, reused).length, 0),
  ...(f1 ? { one: reader(f1) } : {}),
};
const names = Object.keys(sides);
const cpu: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
const wall: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
for (const k of names) await sides[k]!(); // warm-up
for (const k of names) await sides[k]!();
const loads: number[] = [];
for (let r = 0; r < REPEAT; r++) {
  for (const k of r % 2 ? [...names].reverse() : names) {
    collectGarbage();
    await new Promise((done) => setTimeout(done, 50));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sides[k]!();
    const c = process.cpuUsage(c0);
    wall[k]!.push(performance.now() - t0);
    cpu[k]!.push((c.user + c.system) / 1e3);
  }
  loads.push(loadavg()[0]!);
}
await fz.close();
await fa.close();
await fb.close();
await f1?.close();
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
for (const [what, t] of [['CPU', cpu], ['wall', wall]] as const) {
  const ratio = (k: string) => t[k]!.map((x, i) => x / t.inflate![i]!);
  const ba = t.B!.map((x, i) => x / t.A![i]!);
  console.log(`${what}: inflate ${median(t.inflate!).toFixed(1)} ms (best ${Math.min(...t.inflate!).toFixed(1)}); ` +
    `A ${median(t.A!).toFixed(1)} ms (best ${Math.min(...t.A!).toFixed(1)}), ${median(ratio('A')).toFixed(3)}× inflate (rounds ${range(ratio('A'))}); ` +
    `B ${median(t.B!).toFixed(1)} ms (best ${Math.min(...t.B!).toFixed(1)}), ${median(ratio('B')).toFixed(3)}× inflate (rounds ${range(ratio('B'))}); ` +
    `B/A ${median(ba).toFixed(3)} (rounds ${range(ba)})`);
}
if (f1) {
  const speedup = (k: string) => wall.one!.map((x, i) => x / wall[k]![i]!);
  console.log(`wall on ${THREADS} threads: this build on 1 thread ${median(wall.one!).toFixed(1)} ms (best ${Math.min(...wall.one!).toFixed(1)}); ` +
    `speed-up over it, A ${median(speedup('A')).toFixed(3)}× (rounds ${range(speedup('A'))}), B ${median(speedup('B')).toFixed(3)}× (rounds ${range(speedup('B'))})`);
}
console.log(`${THREADS > 1 ? `A and B on ${THREADS} decompression threads, ` : ''}${REPEAT} rounds${FRESH ? ', each read in fresh memory' : ', each read into the last read\'s columns'}, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, node ${process.version}`);
