import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapFile } from './fuzz-map.js';
import { caseRng, mutate } from './fuzz-mutate.js';
import { DEFECTS, type Outcome } from './fuzz-read.js';
import { FuzzRunner } from './fuzz-runner.js';

/** One damaged input and how reading it ended. */
export interface CaseResult {
  file: string;
  index: number;
  what: string;
  target: string;
  op: string;
  outcome: Outcome;
  message?: string;
  stack?: string;
  grewMiB: number;
}

export interface FileBounds {
  timeoutMs: number;
  maxGrowth: number;
  /** The undamaged read: its time and RSS growth, and the file's declared (uncompressed) bytes. */
  baseMs: number;
  baseGrowth: number;
  declared: number;
}

/**
 * Fuzzes `paths` with `cases` mutations each under `seed`, reading every input whole in a child
 * process (FuzzRunner). Bounds per file, from its undamaged read: time max(30 s, 50× that read),
 * RSS growth 192 MiB + max(2× that read's, 8× the file's declared sizes). `onCase` sees each result.
 * The floor is 192 MiB, not 64: RSS growth in the reused child follows GC and allocator timing,
 * not the read alone (uproot-issue371.root, 38,144 branches: its undamaged read grew 37 MiB in one
 * run and 323 in another, and its mutated reads up to 146 MiB against a bound of 139 on Node 22);
 * what the bound is for, a bogus size turned into an allocation, is a GiB, not tens of MiB.
 */
export async function fuzzFiles(paths: string[], seed: number, cases: number, onCase: (r: CaseResult, b: FileBounds) => void, onSkip: (file: string, why: string) => void, only?: (file: string, index: number) => boolean): Promise<{ starts: number }> {
  const runner = new FuzzRunner();
  const dir = mkdtempSync(join(tmpdir(), 'rootio-fuzz-'));
  try {
    for (const path of paths) {
      const name = path.split('/').at(-1)!;
      const src = new Uint8Array(readFileSync(path));
      const map = mapFile(src);
      const t0 = performance.now();
      // Bounded generously: the undamaged read only sets the mutations' bounds (a hang there would
      // still end), and at load 71 uproot-issue371.root's 38,695 branches took over 120 s.
      const base = await runner.read(path, 600_000, 2 ** 31);
      const baseMs = performance.now() - t0;
      if (base.outcome !== 'read') {
        onSkip(name, `the undamaged file does not read: ${base.message}`);
        continue;
      }
      const bounds: FileBounds = {
        timeoutMs: Math.max(30_000, 50 * baseMs),
        maxGrowth: 192 * 2 ** 20 + Math.max(2 * base.grew, 8 * map.declaredBytes),
        baseMs, baseGrowth: base.grew, declared: map.declaredBytes,
      };
      for (let i = 0; i < cases; i++) {
        if (only && !only(name, i)) continue;
        const m = mutate(src, map, caseRng(seed, name, i));
        // Keep the file's name: errors must name it.
        const p = join(dir, name);
        writeFileSync(p, m.bytes);
        const r = await runner.read(p, bounds.timeoutMs, bounds.maxGrowth);
        const outcome: Outcome = r.outcome === 'read' ? (r.digest === base.digest ? 'identical' : 'different') : r.outcome;
        onCase({ file: name, index: i, what: m.what, target: m.target, op: m.op, outcome, message: r.message, stack: r.stack, grewMiB: r.grew / 2 ** 20 }, bounds);
      }
    }
  } finally {
    runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { starts: runner.starts };
}

export { DEFECTS };
