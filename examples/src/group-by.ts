/**
 * A group-by over NDJSON files, on the workers: one task per file sums its sales by (region,
 * product), a tree of merges combines them, and the client receives one set of typed arrays. It
 * writes its own files to a temporary directory first: one has a truncated row and one a
 * quantity that is not a number (their tasks fail naming the file and the line, and are skipped),
 * and one lands late (its task fails with ENOENT and is retried once the file is there:
 * `client.retry`, chosen by the error's `code`, so the bad files are not read again for nothing,
 * as a `retries` option would have them).
 *
 *   npx tsc -b examples && node examples/dist/group-by.js [nFiles] [rowsPerFile]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LocalCluster, remoteFrom, TaskError, type Future } from '@gluon/client';
import { aggregateFile as aggregateHere, mergeGroups as mergeHere, type Groups } from './group-by-tasks.js';

const { aggregateFile, mergeGroups } = remoteFrom<typeof import('./group-by-tasks.js')>('@gluon/examples/group-by-tasks');
const [nFiles, rowsPerFile] = [process.argv[2] ?? '8', process.argv[3] ?? '20000'].map(Number) as [number, number];
if (!Number.isInteger(nFiles) || nFiles < 4) throw new RangeError(`nFiles must be an integer ≥ 4, got ${process.argv[2]}`);
if (!Number.isInteger(rowsPerFile) || rowsPerFile < 2) throw new RangeError(`rowsPerFile must be an integer ≥ 2, got ${process.argv[3]}`);

const dir = mkdtempSync(join(tmpdir(), 'gluon-group-by-'));
try {
  const files = Array.from({ length: nFiles }, (_, i) => join(dir, `sales-${i}.ndjson`)); // absolute: workers may run elsewhere
  const [truncated, badQty, late] = [files[1]!, files[2]!, files[nFiles - 1]!];
  for (const f of files) if (f !== late) writeSales(f, f === truncated ? 'truncated' : f === badQty ? 'bad qty' : undefined);

  const cluster = await LocalCluster.start({ nWorkers: 2 });
  try {
    const client = await cluster.client();
    console.log(`dashboard: ${cluster.dashboardUrl}`);
    const perFile = client.map(aggregateFile, files);
    await client.wait(perFile); // never throws: the failures are picked out below

    writeSales(late); // the late file lands: run again what failed for want of a file
    const missing: number[] = [];
    for (const [i, f] of perFile.entries()) {
      const e = await f.exception(); // an Error or undefined: instanceof TaskError gives its code, kind, remoteStack
      if (e instanceof TaskError && e.code === 'ENOENT') missing.push(i);
    }
    const again: Future<Groups>[] = missing.map((i) => perFile[i]!);
    await client.retry(again);
    await client.wait(again);
    console.log(`retried once their files landed: ${missing.map((i) => basename(files[i]!)).join(', ')}`);

    for (const f of perFile) {
      if (f.status !== 'error') continue;
      const e = await f.exception();
      if (!(e instanceof TaskError)) throw e ?? new Error(`${f.key} is ${f.status} but has no exception`);
      const cause = /^Caused by: (.*)$/m.exec(e.remoteStack)?.[1];
      console.log(`skipped${e.code ? ` (${e.code})` : ''}: ${e.message}${cause ? `\n  because: ${cause}` : ''}`);
    }
    const good = perFile.filter((f) => f.status === 'finished');
    const total = await client.treeReduce(mergeGroups, good).result(); // merged 8 at a time on the workers
    console.log(`${good.length} of ${nFiles} files, ${total.rows} rows, ${total.keys.length} groups (${total.orders.constructor.name}, ${total.revenue.constructor.name})`);
    const top = [...total.keys.keys()].sort((a, b) => total.revenue[b]! - total.revenue[a]!).slice(0, 3);
    for (const g of top) console.log(`  ${total.keys[g]}: ${total.orders[g]} orders, ${total.qty[g]} items, revenue ${total.revenue[g]!.toFixed(2)}`);

    // The same functions in this process, over the same files: the cluster's answer must match.
    const here = mergeHere(await Promise.all(files.filter((_, i) => perFile[i]!.status === 'finished').map(aggregateHere)));
    console.log(`the same as in this process: ${sameGroups(total, here) ? 'yes' : 'NO'}`);
  } finally {
    await cluster.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** A file of seeded pseudo-random sales; its middle row cut short (as a crashed writer leaves it) or with a bad quantity. */
function writeSales(path: string, flaw?: 'truncated' | 'bad qty'): void {
  let seed = [...basename(path)].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);
  const random = (): number => { // mulberry32
    let t = (seed = (seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const regions = ['eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south', 'ap-east', 'sa-east', 'af-south'];
  const lines: string[] = [];
  for (let r = 0; r < rowsPerFile; r++) {
    const sale = { region: regions[Math.floor(random() * regions.length)], product: `sku-${Math.floor(random() * 40)}`, qty: 1 + Math.floor(random() * 5), price: Math.round(random() * 10_000) / 100 };
    const line = JSON.stringify(r === rowsPerFile >> 1 && flaw === 'bad qty' ? { ...sale, qty: 'two' } : sale);
    lines.push(r === rowsPerFile >> 1 && flaw === 'truncated' ? line.slice(0, 30) : line);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Equal groups, whatever their order: counts exactly, revenue up to the sums' rounding. */
function sameGroups(a: Groups, b: Groups): boolean {
  if (a.rows !== b.rows || a.keys.length !== b.keys.length) return false;
  const at = new Map(a.keys.map((k, i) => [k, i]));
  return b.keys.every((k, j) => {
    const i = at.get(k);
    return i !== undefined && a.orders[i] === b.orders[j] && a.qty[i] === b.qty[j] && Math.abs(a.revenue[i]! - b.revenue[j]!) <= 1e-9 * Math.abs(b.revenue[j]!);
  });
}
