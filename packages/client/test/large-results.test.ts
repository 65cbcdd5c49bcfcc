/**
 * Results of many small records, end to end on a real cluster: a task's million-record-style
 * result leaves its thread encoded, and arrives whole at the client, at a dependent on the same
 * worker and at one on another worker (fetched as bytes, decoded in the task's thread); every
 * shape the wire carries survives; a result that cannot travel fails its task naming the task and
 * what could not be sent.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { remoteFrom, TaskError } from '@gluon/client';
import * as local from './fixtures/records.mjs';
import { sharedCluster } from './shared-cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const fx = remoteFrom<typeof import('./fixtures/records.mjs')>(pathToFileURL(join(here, 'fixtures/records.mjs')));

const { client } = await sharedCluster(t, { nWorkers: 2, nthreads: 1, dashboard: false, allowModules: [join(here, 'fixtures')] });

t.test('records arrive whole at the client', async (t) => {
  for (const n of [20_000, 1000]) {
    const rs = await client.submit(fx.records, n, 4).result();
    t.equal(rs.length, n);
    t.same(rs, local.records(n, 4), `${n} records, every field of every one`);
  }
});

t.test('as dependencies: on the worker that made them and fetched from the other', async (t) => {
  // Parts until both workers hold some (placement decides; bounded), then one task reads them all:
  // wherever it runs, some parts are its worker's own and some are fetched from the other.
  const parts = [];
  for (let i = 0; i < 12; i++) {
    parts.push(client.submit(fx.records, 5000 + i, i));
    if (i < 1) continue;
    await client.wait(parts);
    if (new Set(parts.map((p) => p.state.workers[0])).size === 2) break;
  }
  t.equal(new Set(parts.map((p) => p.state.workers[0])).size, 2, `the ${parts.length} parts are on both workers`);
  const sums = await client.submit(fx.summariseAll, ...parts).result();
  t.same(sums, parts.map((_, i) => local.summarise(local.records(5000 + i, i))));
  t.same(await client.submit(fx.summariseAll, client.submit(fx.records, 3000), client.submit(fx.records, 10)).result(),
    [local.summarise(local.records(3000)), local.summarise(local.records(10))], 'an encoded and an inline dependency together');
});

t.test('every shape the wire carries comes back as itself', async (t) => {
  const back = await client.submit(fx.mixed, 3000).result();
  const want = local.mixed(3000);
  t.same(back.rows, want.rows);
  t.same(back.nested, want.nested);
  t.ok(back.byRun instanceof Map && back.byRun.size === 3000);
  t.same(back.byRun.get(1234), want.byRun.get(1234));
  t.ok(back.byRun.get(1)!.tags instanceof Set);
  t.ok(back.when instanceof Date && back.when.getTime() === want.when.getTime());
  t.same(back.big, want.big);
  t.equal(typeof back.big[0], 'bigint');
  t.ok(back.hists.every((h, i) => h instanceof Float64Array && h[0] === i));
  t.ok(back.small.every((a, i) => a instanceof Int32Array && a[1] === -i));
  t.same(back.text, want.text);
  t.same(back.bytes, want.bytes);
});

t.test('a Float64Array result arrives as one', async (t) => {
  const f = await client.submit(fx.floats, 1 << 20, 2).result();
  t.ok(f instanceof Float64Array);
  t.equal(f.length, 1 << 20);
  t.equal(f[(1 << 20) - 1], ((1 << 20) - 1) * 0.5 + 2);
});

t.test('a result of many records that cannot travel fails its task, naming the task and what', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['function', /result\[2500\]\.fit: a function cannot be sent/],
    ['symbol', /result\[2500\]\.tag: a symbol cannot be sent/],
    ['cycle', /result\[2500\]\.self: refers back to one of its own parents \(a cycle\)/],
    ['getter', /the task's result cannot be encoded: mass was read twice/],
  ];
  for (const [what, re] of cases) {
    const f = client.submit(fx.recordsWith, 4000, what, 2500);
    const err = (await f.result().then(() => null, (e: unknown) => e)) as TaskError;
    t.type(err, TaskError, what);
    t.equal(err.key, f.key, what);
    t.match(err.message, new RegExp(`^task ${f.key} failed on worker local-[01]: ResultError: `), `${what}: the message names the task`);
    t.match(err.message, re, what);
    t.equal(err.kind, 'exception', what);
  }
});
