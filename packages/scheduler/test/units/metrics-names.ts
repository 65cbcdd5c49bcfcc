/**
 * `/metrics`' per-worker series when two connected workers share a name (two hosts started with
 * the same `--name`, or a worker restarted while its old connection is still being timed out).
 * The series were labelled by name alone, so prom-client kept one and the other worker's
 * figures vanished from every scrape while `gluon_scheduler_workers` counted it (found by the
 * new-user trial: two `gluon-worker --name dup`, 4 workers, 3 series). And the names and types
 * follow Prometheus' conventions.
 */
import { createRequire } from 'node:module';
import t from 'tap';
import { SchedulerMetrics } from '../../src/dashboard/metrics.js';
import type { WorkerRow } from '../../src/dashboard/source.js';
import { MemorySource } from '../fixtures/memory-source.js';

interface Family { name: string; type: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

function worker(id: string, name: string, address: string, rss: number, alive = true): WorkerRow {
  return { id, name, address, host: 'h', nthreads: 2, cpu: 50, rss, memoryLimit: 0, executing: 1, queued: 0, stored: 3, storedBytes: 300, lastSeen: Date.now(), alive };
}

t.test('workers sharing a name each keep their series, told apart by address', async (t) => {
  const source = new MemorySource({
    workers: [
      worker('w1', 'dup', '10.0.0.2:4001', 111),
      worker('w2', 'dup', '10.0.0.3:4001', 222),
      worker('w3', 'nl\nworker "q" \\ ü', '10.0.0.4:4001', 333),
      worker('w4', 'dup', '10.0.0.9:4001', 999, false),
    ],
  });
  const metrics = new SchedulerMetrics(source);
  t.teardown(() => metrics.close());
  const families = parse((await metrics.scrape()).text);
  const rss = families.find((f) => f.name === 'gluon_worker_rss_bytes')!.metrics;
  t.same(
    rss.map((m) => [m.labels?.worker, m.labels?.address, Number(m.value)]).sort((a, b) => Number(a[2]) - Number(b[2])),
    [['dup', '10.0.0.2:4001', 111], ['dup', '10.0.0.3:4001', 222], ['nl\nworker "q" \\ ü', '10.0.0.4:4001', 333]],
    'one series per connected worker (the gone one has none), its name and address as labels',
  );
  for (const f of families.filter((f) => f.name.startsWith('gluon_worker_'))) t.equal(f.metrics.length, 3, `${f.name}: 3 series`);
  t.equal(Number(families.find((f) => f.name === 'gluon_scheduler_workers')!.metrics[0]!.value), 3, 'as many as gluon_scheduler_workers counts');
});

t.test('a count that only grows is a counter named _total; nothing else is named _total', async (t) => {
  // The operator trial: gluon_worker_cancelled_tasks_stopped, the cancelled tasks a worker stopped
  // since it started, was a gauge without _total, so rate() and increase() over it (what an alert
  // on runaway tasks needs) read it as a level, not a count that resets when the worker restarts.
  const source = new MemorySource({ workers: [{ ...worker('w1', 'busy', 'ws://10.0.0.2:4001', 111), cancelledStopped: 2 }] });
  const metrics = new SchedulerMetrics(source, () => ({ open: 0, max: 64, maxPerAddress: 16, refused: { total: 0, 'per-address': 0 }, dropped: 0 }));
  t.teardown(() => metrics.close());
  const families = parse((await metrics.scrape()).text);
  const stopped = families.find((f) => f.name === 'gluon_worker_cancelled_tasks_stopped_total');
  t.equal(stopped?.type, 'COUNTER', 'the cancelled tasks a worker stopped: a counter');
  t.same(stopped?.metrics.map((m) => [m.labels?.worker, Number(m.value)]), [['busy', 2]], 'its value per worker');
  // Ours only: prom-client's own nodejs_active_{handles,requests,resources}_total are gauges.
  for (const f of families.filter((f) => f.name.startsWith('gluon_'))) {
    if (f.type === 'COUNTER') t.match(f.name, /_total$/, `${f.name}: a counter ends in _total`);
    else t.notMatch(f.name, /_total$/, `${f.name}: a ${f.type.toLowerCase()} does not end in _total`);
  }
});
