/**
 * The group-by example's task in this process: a file with a row that is not a sale fails
 * naming the file and the line, with code BAD_ROW, whether the row is cut short (not JSON; that
 * error had no code, so a client branching on `code` could not tell it from any other failure)
 * or a record with a bad field. The examples test runs the same on a cluster.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { aggregateFile } from '@gluon/examples/group-by-tasks';

const dir = mkdtempSync(join(tmpdir(), 'gluon-group-by-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const good = JSON.stringify({ region: 'eu-west', product: 'sku-1', qty: 2, price: 1.5 });

t.test('a good file sums its rows', async (t) => {
  const f = join(dir, 'good.ndjson');
  writeFileSync(f, `${good}\n${good}\n`);
  const g = await aggregateFile(f);
  t.same({ keys: g.keys, orders: [...g.orders], qty: [...g.qty], revenue: [...g.revenue], rows: g.rows }, { keys: ['eu-west|sku-1'], orders: [2], qty: [4], revenue: [6], rows: 2 });
});

t.test('a truncated row fails with BAD_ROW, naming the file and line, the parser\'s error as its cause', async (t) => {
  const f = join(dir, 'truncated.ndjson');
  writeFileSync(f, `${good}\n${good.slice(0, 30)}\n${good}\n`);
  const e = await aggregateFile(f).then(() => undefined, (x: unknown) => x as Error & { code?: unknown });
  t.ok(e instanceof Error, 'it fails');
  t.equal(e?.code, 'BAD_ROW');
  t.equal(e?.message, `${f}:2: not a JSON record: ${good.slice(0, 30)}`);
  t.ok(e?.cause instanceof SyntaxError, 'the JSON parser\'s error is the cause');
});

t.test('a record with a bad field fails with BAD_ROW too', async (t) => {
  const f = join(dir, 'bad-qty.ndjson');
  writeFileSync(f, `${good}\n${JSON.stringify({ region: 'eu-west', product: 'sku-1', qty: 'two', price: 1 })}\n`);
  await t.rejects(aggregateFile(f), { code: 'BAD_ROW', message: `${f}:2: qty is not a whole number ≥ 0: "two"` });
});
