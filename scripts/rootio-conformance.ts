/**
 * Reads every branch of every TTree, every field of every RNTuple and every histogram in ROOT
 * files, as a new user would, and tallies each: read (and of the right shape), never filled in
 * a filled tree (which says so), unsupported
 * (an `UnsupportedBranchTypeError`, by the type it names), or a defect (any other error, a
 * column of the wrong shape, a crash or hang of the reading process, an unsupported branch
 * whose read does not raise `UnsupportedBranchTypeError`). Not a test: point it at a checkout of
 * scikit-hep-testdata (`src/skhep_testdata/data`), `../shared/data`, or any collection of files.
 *
 *   npx tsc -b packages/rootio && npx tsx scripts/rootio-conformance.ts PATH… [--max-mb 3] [--jsroot] [--timeout-s 300] [--jsroot-timeout-s 300]
 *
 * PATH is a file or a folder (its `*.root` files, not its subfolders). Each file is read in a
 * child process bounded in time (`--timeout-s`), so a crash or a hang is counted against its
 * file and the run goes on. `--jsroot` also compares each TTree's readable branches with
 * jsroot's `treeProcess` where jsroot reads them (equal, different, or jsroot fails), once our
 * reading of the file is done, bounded by `--jsroot-timeout-s` of its own (default `--timeout-s`):
 * jsroot running out of it is jsroot not finishing, not a defect. Values equal once jsroot's
 * representation is read as ours (typed arrays, a map's pairs, a collection's objects for its
 * count, Double32_t rounding) count as equal and are tallied by kind, as do jsroot's misreadings
 * checked against ours (a referenced TObject's fBits read as 4-byte words), as jsroot not reading
 * the branch; each branch name of a tree is compared once (scripts/conformance-jsroot.ts); where
 * jsroot crashes on a file (a throw from its own callbacks, which no promise of ours would see),
 * the file says "jsroot could not read: <message>", its own tallies stand and the run goes on.
 * Prints every defect, the totals and the unsupported types; exits 1 when there is a defect (a
 * crash of jsroot is none of ours).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type BranchInfo, type Column } from '@gluon/rootio';
import { compareJsroot, guardJsroot, MISREADS, noJsrootTally, REPRESENTATIONS, type JsrootTally, type Misread, type Representation } from './conformance-jsroot.js';

/** What one file's reading found (the child prints it as one JSON line). */
interface FileResult {
  file: string;
  trees: number;
  rntuples: number;
  histograms: number;
  branches: number;
  read: number;
  /** Branches never filled in a filled tree, which say so (a RootFormatError naming what can be read). */
  notFilled: number;
  unsupported: Record<string, number>;
  defects: string[];
  /** Other keys skipped (class → count): directories are listed here (their contents are read by path, `dir/tree`, as keys() lists them). */
  skipped: Record<string, number>;
  jsroot: JsrootTally;
}

const HISTOGRAM = /^(TH[123][CSIFDL]?|TProfile(2D|3D)?)$/;
const TREE = /^(TTree|TNtuple|TNtupleD)$/;

/** The shape a column of `b` must have over `n` entries, or what is wrong with it. */
function shapeProblem(b: BranchInfo, c: Column, n: number): string | null {
  const jagged = (j: { offsets: Int32Array; values: unknown; innerShape?: number[] }, what: string, n: number): string | null => {
    if (!(j.offsets instanceof Int32Array) || j.offsets.length !== n + 1) return `${what}: offsets of ${j.offsets?.length} for ${n} entries`;
    if (j.offsets[0] !== 0) return `${what}: offsets[0] is ${j.offsets[0]}`;
    for (let i = 0; i < n; i++) if (j.offsets[i + 1]! < j.offsets[i]!) return `${what}: offsets decrease at entry ${i}`;
    // Rows of a counted array of fixed arrays (innerShape) hold that many values each.
    const row = (j as { innerShape?: number[] }).innerShape?.reduce((a, x) => a * x, 1) ?? 1;
    const len = ((j.values as { length?: number }).length ?? (j.values as { offsets: Int32Array }).offsets.length - 1) / row;
    if (j.offsets[n] !== len) return `${what}: offsets end at ${j.offsets[n]} over ${len} values`;
    return null;
  };
  switch (b.kind) {
    case 'scalar':
      return ArrayBuffer.isView(c) && (c as { length: number }).length === n ? null : `scalar column of ${(c as { length?: number }).length} for ${n} entries`;
    case 'string':
      return Array.isArray(c) && c.length === n && c.every((s) => typeof s === 'string') ? null : `string column is not ${n} strings`;
    case 'fixed-array': {
      const f = c as { values: { length: number }; innerShape: number[] };
      const k = f.innerShape?.reduce((a, x) => a * x, 1);
      return k !== undefined && f.values.length === n * k ? null : `fixed array of ${f.values?.length} values for ${n} × ${k}`;
    }
    case 'counted-array':
    case 'vector':
      return jagged(c as { offsets: Int32Array; values: unknown }, b.kind, n);
    case 'nested': {
      // One offsets array per level, each level's offsets counting the level below.
      let level = c as unknown as { offsets?: Int32Array; values: unknown; keys?: unknown };
      let count = n;
      for (let depth = 0; level && typeof level === 'object' && 'offsets' in level && level.offsets; depth++) {
        const p = jagged({ offsets: level.offsets, values: level.keys ?? level.values }, `nested level ${depth}`, count);
        if (p) return p;
        count = level.offsets[count]!;
        level = level.values as typeof level;
      }
      const leafLen = (level as unknown as { length?: number }).length;
      return leafLen === count ? null : `nested leaves: ${leafLen} for ${count}`;
    }
    default:
      return `kind ${b.kind} read without an error`;
  }
}

/**
 * The unsupported type as tallied: members' owning classes and a record's member list dropped;
 * a split object or record (whose members are listed and read by their own names) as a
 * container, not a gap.
 */
function unsupportedType(err: UnsupportedBranchTypeError): string {
  if (/\(split: read its sub-branches\)$/.test(err.typeName)) return 'container: split object (read its sub-branches)';
  if (/\(unsplit object: read its members: /.test(err.typeName)) return 'container: unsplit object (read its members)';
  if (/\(container of objects: read its members: /.test(err.typeName)) return 'container: container of objects (read its fields)';
  if (/^base class TObject of .* \(read its members: /.test(err.typeName)) return 'container: TObject base (read its members)';
  if (/^base class .* \(read its members: /.test(err.typeName)) return 'container: base class (read its members)';
  if (/^base class .* \(holds no members to read\)$/.test(err.typeName)) return 'base class holding no members';
  if (/^base class .* \(written by a streamer of its own: /.test(err.typeName)) return 'base class written by a streamer of its own';
  const unsplit = /\((unsplit collection of objects|unsplit object of a class the file does not describe|unsplit object: no member of .*)\)$/.exec(err.typeName);
  if (unsplit) return unsplit[1]!;
  if (/^record \(read its members/.test(err.typeName)) return 'container: RNTuple record (read its members)';
  if (/^leaf list \(read its leaves/.test(err.typeName)) return 'container: leaf list (read its leaves)';
  return err.typeName.replace(/ member of .*/, ' member').replace(/^base class (TObject )?.* of .*/, (_, o: string | undefined) => `base class${o ? ' TObject' : ''}`).replace(/^leaf list of .*/, 'leaf list');
}

/** Reads every branch of one reader (a TTree or an RNTuple), one branch at a time. */
async function readAll(r: FileResult, where: string, reader: { numEntries: number; branches: BranchInfo[]; arrays(names: string[]): Promise<Record<string, Column>> }): Promise<void> {
  for (const b of reader.branches) {
    r.branches++;
    try {
      const c = (await reader.arrays([b.name]))[b.name]!;
      if (b.kind === 'unsupported') {
        r.defects.push(`${where} ${b.name}: listed unsupported (${b.typeName}) but read`);
        continue;
      }
      const p = shapeProblem(b, c, reader.numEntries);
      if (p) r.defects.push(`${where} ${b.name} (${b.typeName}): wrong shape: ${p}`);
      else r.read++;
    } catch (err) {
      if (err instanceof UnsupportedBranchTypeError) {
        if (b.kind !== 'unsupported') r.defects.push(`${where} ${b.name}: listed ${b.kind} (${b.typeName}) but unsupported: ${err.message}`);
        const t = unsupportedType(err);
        r.unsupported[t] = (r.unsupported[t] ?? 0) + 1;
      } else if (/its baskets cover entries .* \(it was (never filled|filled for its first)/.test((err as Error)?.message)) {
        r.notFilled++;
      } else {
        r.defects.push(`${where} ${b.name} (${b.typeName}): ${(err as Error)?.constructor?.name}: ${(err as Error)?.message ?? err}`);
      }
    }
  }
}

/** The child's work: one file, every key (those in subdirectories too, by path). */
async function readFile(path: string, jsroot: boolean): Promise<FileResult> {
  const file = path.split('/').pop()!;
  const r: FileResult = { file, trees: 0, rntuples: 0, histograms: 0, branches: 0, read: 0, notFilled: 0, unsupported: {}, defects: [], skipped: {}, jsroot: noJsrootTally() };
  let f;
  try {
    f = await openRootFile(path);
  } catch (err) {
    r.defects.push(`${file}: does not open: ${(err as Error).constructor.name}: ${(err as Error).message}`);
    return r;
  }
  try {
    // The newest cycle of each name, as ROOT's Get(name) reads.
    const keys = f.keys().filter((k, _, all) => !all.some((o) => o.name === k.name && o.cycle > k.cycle));
    const trees: Array<[string, Awaited<ReturnType<typeof f.tree>>]> = [];
    for (const key of keys) {
      const where = `${file} ${key.name}`;
      try {
        if (TREE.test(key.className)) {
          const tree = await f.tree(key.name);
          r.trees++;
          await readAll(r, where, tree);
          trees.push([key.name, tree]);
        } else if (key.className === 'ROOT::RNTuple') {
          r.rntuples++;
          await readAll(r, where, await f.rntuple(key.name));
        } else if (HISTOGRAM.test(key.className)) {
          const h = await f.histogram(key.name);
          const cells = (h.nbins + 2) * (h.y ? h.y.nbins + 2 : 1) * (h.z ? h.z.nbins + 2 : 1);
          if (h.contents.length !== cells) r.defects.push(`${where} (${key.className}): ${h.contents.length} contents for ${cells} cells`);
          else r.histograms++;
        } else {
          r.skipped[key.className] = (r.skipped[key.className] ?? 0) + 1;
        }
      } catch (err) {
        r.defects.push(`${where} (${key.className}): does not load: ${(err as Error)?.constructor?.name}: ${(err as Error)?.message ?? err}`);
      }
    }
    if (jsroot) {
      // Our reading is done: its tallies go to the parent before jsroot's comparison starts, which
      // the parent bounds on its own (see inChild).
      console.log(JSON.stringify({ ours: r }));
      for (const [name, tree] of trees) {
        if (r.jsroot.couldNotRead) break;
        try {
          await guardJsroot(r, name, () => compareJsroot(r, path, name, tree));
        } catch (err) {
          r.defects.push(`${file} ${name} (TTree): against jsroot: ${(err as Error)?.constructor?.name}: ${(err as Error)?.message ?? err}`);
        }
      }
    }
  } finally {
    await f.close();
  }
  return r;
}

/**
 * Runs one file's reading in a child process: our reading bounded by `timeoutS`, then (--jsroot)
 * jsroot's comparison by `jsrootTimeoutS` from the moment ours was done. One bound over both
 * called a slow jsroot our hang: uproot-issue-210.root's reading takes 3 CPU-s and jsroot's
 * comparison 176 (1,306 s of wall at load 35), and it was "DEFECT … the reading process did not
 * finish within 300 s (a hang?)", as was uproot-physlite-rntuple_v1-0-0-0.root. jsroot's time-out
 * is recorded as jsroot not finishing (couldNotRead), our tallies kept, and is no defect.
 */
function inChild(path: string, jsroot: boolean, timeoutS: number, jsrootTimeoutS: number): Promise<FileResult> {
  const file = path.split('/').pop()!;
  const empty = (defect: string): FileResult => ({ file, trees: 0, rntuples: 0, histograms: 0, branches: 0, read: 0, notFilled: 0, unsupported: {}, defects: [defect], skipped: {}, jsroot: noJsrootTally() });
  return new Promise((resolve) => {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), '--one', path, ...(jsroot ? ['--jsroot'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    /** Our tallies, once the child has printed them (its jsroot phase under way). */
    let ours: FileResult | null = null;
    let timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = ours ? undefined : out.split('\n').slice(0, -1).find((l) => l.startsWith('{"ours"'));
      if (line) {
        ours = (JSON.parse(line) as { ours: FileResult }).ours;
        clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), jsrootTimeoutS * 1000);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{"file"'));
      if (code === 0 && line) return resolve(JSON.parse(line) as FileResult);
      const ended = signal === 'SIGKILL' ? `did not finish within ${ours ? jsrootTimeoutS : timeoutS} s` : `ended with ${signal ?? `code ${code}`}`;
      const done = ours as FileResult | null;
      if (done && signal === 'SIGKILL') {
        done.jsroot.couldNotRead = `jsroot's comparison ${ended} (our reading of the file had finished: its tallies stand)`;
        return resolve(done);
      }
      resolve(empty(`${file}: the reading process ${signal === 'SIGKILL' ? `${ended} (a hang?)` : ended}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
if (argv[0] === '--one') {
  console.log(JSON.stringify(await readFile(argv[1]!, argv.includes('--jsroot'))));
  process.exit(0);
}
const paths = argv.filter((a, i) => !a.startsWith('--') && !['--max-mb', '--timeout-s', '--jsroot-timeout-s'].includes(argv[i - 1] ?? ''));
if (paths.length === 0) {
  console.error('usage: npx tsx scripts/rootio-conformance.ts PATH… [--max-mb N] [--jsroot] [--timeout-s S] [--jsroot-timeout-s S]');
  process.exit(2);
}
const maxBytes = Number(flag('--max-mb') ?? 3) * 1e6;
const timeoutS = Number(flag('--timeout-s') ?? 300);
const jsrootTimeoutS = Number(flag('--jsroot-timeout-s') ?? timeoutS);
const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.root')).sort().map((f) => join(p, f)) : [p]))
  .filter((f) => statSync(f).size <= maxBytes);
const totals = { files: 0, trees: 0, rntuples: 0, histograms: 0, branches: 0, read: 0, notFilled: 0, unsupported: 0, defects: 0 };
const unsupported = new Map<string, number>();
const skipped = new Map<string, number>();
const js = { equal: 0, differ: 0, jsrootFails: 0 };
/** Branches equal to jsroot's once its representation is read as ours, by kind. */
const represented = new Map<Representation, number>();
/** Branches jsroot misreads (checked against ours), by kind. */
const misread = new Map<Misread, number>();
/** Branches not compared again: named as an earlier branch of their tree. */
let sameName = 0;
/** Files jsroot crashed on. */
let jsrootCouldNotRead = 0;
for (const path of files) {
  const r = await inChild(path, argv.includes('--jsroot'), timeoutS, jsrootTimeoutS);
  totals.files++;
  for (const k of ['trees', 'rntuples', 'histograms', 'branches', 'read', 'notFilled'] as const) totals[k] += r[k];
  for (const [t, n] of Object.entries(r.unsupported)) {
    unsupported.set(t, (unsupported.get(t) ?? 0) + n);
    totals.unsupported += n;
  }
  for (const [t, n] of Object.entries(r.skipped)) skipped.set(t, (skipped.get(t) ?? 0) + n);
  for (const k of ['equal', 'differ', 'jsrootFails'] as const) js[k] += r.jsroot[k];
  for (const [k, n] of Object.entries(r.jsroot.representation ?? {})) represented.set(k as Representation, (represented.get(k as Representation) ?? 0) + n);
  for (const [k, n] of Object.entries(r.jsroot.misread ?? {})) misread.set(k as Misread, (misread.get(k as Misread) ?? 0) + n);
  sameName += r.jsroot.sameName ?? 0;
  totals.defects += r.defects.length;
  for (const d of r.defects) console.log(`DEFECT ${d}`);
  if (r.jsroot.couldNotRead) {
    jsrootCouldNotRead++;
    console.log(`JSROOT ${r.file}: ${r.jsroot.couldNotRead}`);
  }
}
console.log(totals);
if (argv.includes('--jsroot')) {
  console.log('against jsroot (branches):', js);
  console.log(`jsroot could not read: ${jsrootCouldNotRead} of ${totals.files} files`);
  // Counted in "equal" above, not defects: what jsroot's representation was, and how many branches.
  for (const [k, n] of represented) console.log(`equal to jsroot's once represented as ours: ${n} ${n === 1 ? 'branch' : 'branches'}: ${REPRESENTATIONS[k]}`);
  // Counted in "jsrootFails" above: jsroot's values are ours misread, checked word by word.
  for (const [k, n] of misread) console.log(`misread by jsroot (its values checked against ours): ${n} ${n === 1 ? 'branch' : 'branches'}: ${MISREADS[k]}`);
  if (sameName) console.log(`not compared again: ${sameName} ${sameName === 1 ? 'branch' : 'branches'} named as an earlier branch of their tree (a name reads its first branch, in ours and in jsroot)`);
}
console.log('unsupported, by type:', Object.fromEntries([...unsupported].sort((a, b) => b[1] - a[1])));
console.log('other keys, not read:', Object.fromEntries([...skipped].sort((a, b) => b[1] - a[1])));
process.exit(totals.defects ? 1 : 0);
