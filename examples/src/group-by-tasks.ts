/**
 * A group-by over NDJSON files: one task per file sums its rows by (region, product), and a tree
 * of merges combines the files' groups on the workers. Nothing here is about physics: the
 * results are typed arrays beside a list of group names. Workers import it as
 * `@gluon/examples/group-by-tasks`; `group-by.ts` is its client script.
 */
import { readFile } from 'node:fs/promises';
import { taskContext } from '@gluon/client';

/** One row of a sales file. */
export interface Sale {
  region: string;
  product: string;
  qty: number;
  price: number;
}

/** Groups, in order of first appearance: group `i` is `keys[i]` ("region|product"). */
export interface Groups {
  keys: string[];
  orders: Uint32Array;
  qty: Uint32Array;
  revenue: Float64Array;
  rows: number;
}

/**
 * One file's groups. A row that is not a sale (not JSON, as a truncated row, or a record with a
 * field missing or wrong) fails the task naming the file and the line, with `code` `'BAD_ROW'`.
 */
export async function aggregateFile(path: string): Promise<Groups> {
  const acc = new Accumulator();
  let line = 0;
  for (const text of (await readFile(path, 'utf8')).split('\n')) {
    line++;
    if (text === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (e) {
      // The parser's own words (where in the row) travel as the cause, in the remote stack; the
      // code is a bad row's, as for a record that is not a sale, so a client can branch on it.
      throw Object.assign(new Error(`${path}:${line}: not a JSON record: ${text.slice(0, 60)}`, { cause: e }), { code: 'BAD_ROW' });
    }
    const bad = whyNotASale(row);
    if (bad) throw Object.assign(new Error(`${path}:${line}: ${bad}`), { code: 'BAD_ROW' });
    const sale = row as Sale;
    acc.add(`${sale.region}|${sale.product}`, 1, sale.qty, sale.qty * sale.price);
    acc.rows++;
  }
  taskContext()?.report({ events: acc.rows }); // rows/s on the dashboard's Throughput panel
  return acc.groups();
}

/** Merges groups by key: the combine step of the tree reduction. */
export function mergeGroups(parts: Groups[]): Groups {
  const acc = new Accumulator();
  for (const p of parts) {
    for (let i = 0; i < p.keys.length; i++) acc.add(p.keys[i]!, p.orders[i]!, p.qty[i]!, p.revenue[i]!);
    acc.rows += p.rows;
  }
  return acc.groups();
}

function whyNotASale(row: unknown): string | undefined {
  if (row === null || typeof row !== 'object') return 'not an object';
  const r = row as Record<string, unknown>;
  for (const f of ['region', 'product'] as const) if (typeof r[f] !== 'string') return `${f} is not a string: ${JSON.stringify(r[f])}`;
  if (!Number.isInteger(r.qty) || (r.qty as number) < 0) return `qty is not a whole number ≥ 0: ${JSON.stringify(r.qty)}`;
  if (typeof r.price !== 'number' || !Number.isFinite(r.price)) return `price is not a number: ${JSON.stringify(r.price)}`;
  return undefined;
}

class Accumulator {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly orders: number[] = [];
  private readonly qty: number[] = [];
  private readonly revenue: number[] = [];
  rows = 0;

  add(key: string, orders: number, qty: number, revenue: number): void {
    let g = this.index.get(key);
    if (g === undefined) {
      g = this.keys.length;
      this.index.set(key, g);
      this.keys.push(key);
      this.orders.push(0);
      this.qty.push(0);
      this.revenue.push(0);
    }
    this.orders[g]! += orders;
    this.qty[g]! += qty;
    this.revenue[g]! += revenue;
  }

  groups(): Groups {
    return { keys: this.keys, orders: Uint32Array.from(this.orders), qty: Uint32Array.from(this.qty), revenue: Float64Array.from(this.revenue), rows: this.rows };
  }
}
