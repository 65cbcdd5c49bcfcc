/**
 * `/metrics` on a real run: an in-process scheduler with a token, two real worker processes, a
 * client workload with known numbers (including inputs that must move between workers). The
 * exposition is read by a real Prometheus text-format parser and every figure is checked against
 * what the run did; without the token the endpoint answers 401.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom } from '@gluon/client';
import { startScheduler, type ClusterEvent } from '@gluon/scheduler';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER_BIN = fileURLToPath(new URL('../../../worker/bin/gluon-worker.js', import.meta.url));
const TOKEN = 'metrics-test-token';

interface Sample { value: string; labels?: Record<string, string> }
interface Family { name: string; help: string; type: string; metrics: Sample[] }
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

type Fixture = typeof import('../fixtures/dashboard-tasks.mjs');
const fx = remoteFrom<Fixture>(pathToFileURL(join(here, '../fixtures/dashboard-tasks.mjs')));

/** The parsed families by name, and one sample's value (by labels) as a number. */
function reader(families: Family[]) {
  const byName = new Map(families.map((f) => [f.name, f]));
  return {
    family: (name: string) => byName.get(name),
    value(name: string, labels: Record<string, string> = {}): number | undefined {
      const s = byName.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
      return s === undefined ? undefined : Number(s.value);
    },
  };
}

/** What the run did, tallied from the scheduler's own events (as an independent witness). */
class Tally {
  completed = 0;
  transfers = 0;
  transferBytes = 0;
  movedKeys = 0;
  toMemory = 0;
  apply(e: ClusterEvent): void {
    if (e.kind === 'task-done') this.completed++;
    if (e.kind === 'transfer') {
      this.transfers++;
      this.transferBytes += e.bytes;
      this.movedKeys += e.keys.length;
    }
    if (e.kind === 'task-state' && e.from === 'processing' && e.to === 'memory') this.toMemory++;
  }
  key(): string {
    return `${this.completed}/${this.transfers}/${this.transferBytes}/${this.toMemory}`;
  }
}

t.test('/metrics: Prometheus text whose numbers are the run\'s, behind the token', async (t) => {
  const s = await startScheduler({ port: 0, dashboardPort: 0, token: TOKEN, log: () => {} });
  t.teardown(() => s.close());
  const tally = new Tally();
  const unsubscribe = s.subscribe((e) => tally.apply(e));
  t.teardown(unsubscribe);
  const metricsUrl = new URL('metrics', s.dashboardUrl).href;

  // Refused without the token, or with a wrong one; the refusal says how to authenticate.
  const none = await fetch(metricsUrl);
  t.equal(none.status, 401, 'no token: 401');
  t.match(await none.text(), /requires the scheduler token[\s\S]*Authorization: Bearer/);
  t.equal((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'a wrong token: 401');
  const scrape = async () => {
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    t.equal(res.status, 200);
    return { type: res.headers.get('content-type'), text: await res.text() };
  };

  const workers = [1, 2].map((i) => {
    const child = spawn(process.execPath, [WORKER_BIN, s.address, '--nthreads', '2', '--name', `mw-${i}`, '--allow-module', join(here, '../fixtures')], {
      env: { ...process.env, GLUON_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    return { child, err: () => err };
  });
  const client = await Client.connect(s.address, { token: TOKEN, name: 'metrics-test' });
  t.teardown(() => client.close());
  // Both workers registered (waiting on their join events, bounded).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`workers did not join in 120 s: ${workers.map((w) => w.err()).join('\n')}`)), 120_000);
    const check = () => {
      if (s.snapshot().workers.filter((w) => w.alive).length === 2) {
        clearTimeout(timer);
        off();
        resolve();
      }
    };
    const off = s.subscribe((e) => e.kind === 'worker' && check());
    check();
  });

  const N = 60;
  const small = client.map(fx.work, Array.from({ length: N }, (_, i) => i), Array(N).fill(1), Array(N).fill(0));
  const values = await client.gather(small);
  t.equal(values.reduce((a: number, b: number) => a + b, 0), (N * (N + 1)) / 2, 'the workload computed the right values');
  // Inputs that must move: 8 results of 32 KiB (over the inline limit) spread over both workers,
  // summed on one. Placement may still put all 8 where the sum runs, so repeat (bounded) until a
  // fetch was reported; fetches are reported by the fetching worker after the fact.
  let rounds = 0;
  const kept = [];
  for (; rounds < 6 && tally.transfers === 0; rounds++) {
    const xs = Array.from({ length: 8 }, (_, i) => rounds * 8 + i);
    const big = client.map(fx.bigWork, xs, Array(8).fill(100));
    const total = client.submit(fx.sumAll, ...big);
    t.equal(Math.round((await total.result()) as number), xs.reduce((a, x) => a + x + 1, 0), 'the reduction is right');
    kept.push(big, total);
    for (let i = 0; i < 50 && tally.transfers === 0; i++) await new Promise((r) => setTimeout(r, 100));
  }
  const held = N + rounds * 9;

  // Compare against the tally as it stood around the scrape (equal before and after: no event in between).
  let parsed: ReturnType<typeof reader> | undefined;
  let witness = '';
  let type: string | null = null;
  for (let i = 0; i < 50 && !parsed; i++) {
    const before = tally.key();
    const got = await scrape();
    if (before === tally.key()) {
      parsed = reader(parse(got.text));
      witness = before;
      type = got.type;
    }
  }
  if (!parsed) return t.fail('the run never went quiet for one scrape');
  t.match(type, /^text\/plain; version=0\.0\.4/, 'the Prometheus text format\'s content type');
  const m = parsed;
  const [completed, transfers, transferBytes, toMemory] = witness.split('/').map(Number) as [number, number, number, number];

  t.equal(completed, held, 'every task ran once');
  t.equal(m.value('gluon_scheduler_tasks_completed_total'), held, 'completed tasks');
  t.equal(m.family('gluon_scheduler_tasks_completed_total')?.type, 'COUNTER');
  t.equal(m.value('gluon_scheduler_tasks', { state: 'memory' }), held, 'every result held is in memory');
  for (const st of ['waiting', 'queued', 'processing', 'erred']) t.equal(m.value('gluon_scheduler_tasks', { state: st }), 0, `no task ${st}`);
  t.equal(m.value('gluon_scheduler_transitions_total', { from: 'processing', to: 'memory' }), toMemory, 'processing → memory transitions');
  t.equal(toMemory, held);
  t.equal(m.value('gluon_scheduler_task_groups'), 3, 'three groups: work, bigWork, sumAll');
  t.equal(m.value('gluon_scheduler_workers'), 2, 'two workers');
  t.equal(m.value('gluon_scheduler_threads'), 4, 'two threads each');
  t.ok(transfers > 0, `inputs moved between workers (${transfers} fetches)`);
  t.equal(m.value('gluon_scheduler_transfers_total'), transfers, 'peer fetches');
  t.equal(m.value('gluon_scheduler_transfer_bytes_total'), transferBytes, 'bytes moved');
  // Each moved key is one bigWork result: 32 KiB of floats, plus the size estimate's small overhead.
  t.ok(transferBytes >= tally.movedKeys * 32_768 && transferBytes <= tally.movedKeys * 33_792, `${tally.movedKeys} results of 32 KiB moved (${transferBytes} bytes)`);
  t.ok(m.value('gluon_scheduler_task_compute_seconds_total')! >= rounds * 8 * 0.1, 'the bigWork tasks alone ran for 100 ms each');

  const stored = m.family('gluon_worker_stored_results')!.metrics;
  t.same(stored.map((x) => x.labels?.worker).sort(), ['mw-1', 'mw-2'], 'one series per worker, named');
  t.same(stored.map((x) => x.labels?.address).sort(), s.snapshot().workers.map((w) => w.address).sort(), 'and labelled by its data address');
  for (const x of stored) t.match(x.labels?.address, /^ws:\/\/127\.0\.0\.1:\d+$/, 'as the worker prints it (the docs said host:port)');
  t.equal(stored.reduce((a, x) => a + Number(x.value), 0), held, 'the workers hold every result between them');
  const snap = s.snapshot();
  for (const w of snap.workers) {
    t.equal(m.value('gluon_worker_stored_bytes', { worker: w.name }), w.storedBytes, `${w.name}: stored bytes`);
    t.equal(m.value('gluon_worker_threads', { worker: w.name }), 2, `${w.name}: threads`);
    t.ok(m.value('gluon_worker_rss_bytes', { worker: w.name })! > 10 << 20, `${w.name}: a worker process's RSS`);
  }
  // The process's own figures, from prom-client's default collectors.
  t.ok(m.value('process_resident_memory_bytes')! > 10 << 20, 'scheduler RSS');
  t.ok(m.value('nodejs_eventloop_lag_seconds')! >= 0, 'event-loop lag');
  t.ok(m.family('nodejs_eventloop_lag_p99_seconds'), 'event-loop lag percentiles');

  // A worker that leaves stops reporting.
  workers[1]!.child.kill('SIGTERM');
  for (let i = 0; i < 1200 && s.snapshot().workers.filter((w) => w.alive).length !== 1; i++) await new Promise((r) => setTimeout(r, 100));
  const after = reader(parse((await scrape()).text));
  t.equal(after.value('gluon_scheduler_workers'), 1, 'one worker left');
  t.same(after.family('gluon_worker_rss_bytes')!.metrics.map((x) => x.labels?.worker), ['mw-1'], 'the gone worker has no series');
  // The run's futures are kept to the end: a future collected releases its result, and the
  // results in memory and those the workers hold, counted above, fall short of `held`.
  t.equal([small, ...kept].flat().filter((f) => f.status === 'finished').length, held, 'every future of the run was held to the end');
});
