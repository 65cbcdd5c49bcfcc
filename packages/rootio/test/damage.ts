import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFormatError, UnsupportedBranchTypeError, type Column } from '@gluon/rootio';
import { perEntry } from './helpers.js';

/**
 * Everything a reader can get out of a file, as one comparable string. The metadata bound is
 * generous: it applies to local files too, and a starved test process (load 70 on 2 cores) must not
 * turn a damaged header into a time-out; hangs are the callers' `within(…, HANG_MS)`.
 */
export async function readEverything(path: string, metadataTimeoutMs = 60_000): Promise<string> {
  const f = await openRootFile(path, { metadataTimeoutMs });
  try {
    // Objects by position and class: key names and titles are free text nothing can check.
    const out: unknown[] = [];
    for (const k of f.keys()) {
      const id = `${k.name};${k.cycle}`;
      if (k.className === 'TTree') {
        const tree = await f.tree(id);
        const names = tree.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
        const cols = await tree.arrays(names);
        out.push([k.className, Object.fromEntries(names.map((n) => [n, perEntry(cols[n] as Column, tree.numEntries)]))]);
      } else if (/^TH[12]/.test(k.className)) {
        out.push([k.className, await f.histogram(id)]);
      } else out.push([k.className]);
    }
    return JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
  } finally {
    await f.close();
  }
}

/** True for the only errors damaged content may raise. */
export function isContentError(err: unknown): boolean {
  return err instanceof RootFormatError || err instanceof UnsupportedBranchTypeError;
}

/** A scratch directory removed at teardown. */
export function scratch(t: { teardown(fn: () => void): void }): (name: string, bytes: Uint8Array) => string {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-damage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return (name, bytes) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
}

/**
 * How long a read of damaged input may take before it is called a hang: a guard against reads that
 * never settle, not a speed bound, so far above any read's time on a loaded machine (a 222 KB file
 * took over 20 s, the bound before, at load ~70 at nice 19 on 2 cores: damaged-input failed with
 * "HANG: header-36", and passed at once on its rerun) and well below tap's 900 s per file.
 */
export const HANG_MS = 120_000;

/** Rejects when `p` has not settled within `ms` (a hang guard, not a speed assertion). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A small seeded PRNG (mulberry32), so a failing fuzz case can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
