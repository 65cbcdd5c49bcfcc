/**
 * Heap snapshots (`.heapsnapshot` files) read as a census: how many objects of each kind and how
 * many bytes, and the difference between two of them per task. Shared by bench/scheduler-heap.ts
 * (the scheduler's heap) and bench/client-rss.ts (the client's).
 */
import { readFileSync } from 'node:fs';

/** Heap object counts and self sizes by kind (V8's node type and constructor name). */
export type Census = Map<string, { count: number; bytes: number }>;

/** A snapshot's census and its total self size. */
export function census(file: string): { kinds: Census; total: number } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const kinds: Census = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const size = snap.nodes[i + iSize]!;
    total += size;
    // Strings and numbers by type only (their "names" are their values); objects by constructor.
    const name = type === 'object' || type === 'closure' || type === 'hidden' || type === 'array' || type === 'code' || type === 'object shape'
      ? `${type} ${snap.strings[snap.nodes[i + iName]!]!.slice(0, 60)}` : type;
    const k = kinds.get(name) ?? { count: 0, bytes: 0 };
    k.count++;
    k.bytes += size;
    kinds.set(name, k);
  }
  return { kinds, total };
}

/** Prints what `b` holds beyond `a`, per task, by kind: the `top` largest kinds by bytes. */
export function printCensusDifference(label: string, tasks: number, a: { kinds: Census; total: number }, b: { kinds: Census; total: number }, top: number): void {
  const rows: Array<{ kind: string; perTask: number; bytesPerTask: number }> = [];
  for (const [kind, v] of b.kinds) {
    const w = a.kinds.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, perTask: (v.count - w.count) / tasks, bytesPerTask: (v.bytes - w.bytes) / tasks });
  }
  rows.sort((x, y) => y.bytesPerTask - x.bytesPerTask);
  const objects = rows.reduce((s, r) => s + r.perTask, 0);
  console.log(`\n${label}: ${tasks.toLocaleString('en')} tasks, heap ${((b.total - a.total) / tasks).toFixed(0)} bytes and ${objects.toFixed(2)} objects per task`);
  console.log(`${'kind'.padEnd(52)} ${'objects/task'.padStart(12)} ${'bytes/task'.padStart(11)}`);
  for (const r of rows.slice(0, top)) {
    if (Math.abs(r.bytesPerTask) < 1) break;
    console.log(`${r.kind.padEnd(52)} ${r.perTask.toFixed(2).padStart(12)} ${r.bytesPerTask.toFixed(1).padStart(11)}`);
  }
}
