/**
 * A tree mixing the branch kinds a read decodes differently (a counter, std::vector and counted
 * jagged floats, a jagged int, a flat double, optionally a flat float first), written with
 * rootio's writer, and the columns' bytes for comparing two reads exactly. Shared by the tests of
 * the read's machinery (column-prefault, thread-reads), which must give the same bytes either way.
 */
import { RootFileWriter, type Column, type Jagged } from '../src/index.js';

export interface MixedTree {
  /** Entries in all; a multiple of `basketEntries`. */
  entries: number;
  basketEntries: number;
  /** Entry i has `i % modulo` elements in each jagged branch. */
  modulo: number;
  title: string;
  /** A flat float branch `first` (entry i: i) before the others. */
  first?: boolean;
}

/** Writes the tree `t` of `o` to `path` (zlib level 1). */
export async function writeMixedTree(path: string, o: MixedTree): Promise<void> {
  const count = (i: number) => i % o.modulo;
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', o.title, [
    ...(o.first ? [{ name: 'first', type: 'float' as const }] : []), { name: 'n', type: 'int32' },
    { name: 'v', type: 'float', jagged: 'vector' }, { name: 'c', type: 'float', jagged: 'counted', counter: 'n' },
    { name: 'k', type: 'int32', jagged: 'vector' }, { name: 'w', type: 'double' },
  ], { basketEntries: o.basketEntries });
  const step = o.basketEntries;
  for (let s = 0; s < o.entries; s += step) {
    const offsets = new Int32Array(step + 1);
    for (let i = 0; i < step; i++) offsets[i + 1] = offsets[i]! + count(s + i);
    const m = offsets[step]!;
    await tw.append({
      ...(o.first ? { first: Float32Array.from({ length: step }, (_, i) => s + i) } : {}),
      n: Int32Array.from({ length: step }, (_, i) => count(s + i)),
      v: { offsets, values: Float32Array.from({ length: m }, (_, j) => s + j / 8) },
      c: { offsets, values: Float32Array.from({ length: m }, (_, j) => -(s + j)) },
      k: { offsets, values: Int32Array.from({ length: m }, (_, j) => s * 3 + j) },
      w: Float64Array.from({ length: step }, (_, i) => (s + i) / 3),
    });
  }
  await w.close();
}

/** Every named column's bytes (a jagged one's offsets and values), to compare two reads exactly. */
export function columnBytes(cols: Record<string, Column>, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const c = cols[n]!;
    for (const a of ArrayBuffer.isView(c) ? [c] : [(c as Jagged).offsets, (c as Jagged).values]) {
      out.push(`${n}:${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`);
    }
  }
  return out;
}
