/**
 * What checking every received message against its op's schema costs (not a test): CPU time per
 * message for the scheduler's busiest inbound ops, against decoding the same frame measured in
 * the same run (the check must stay a small fraction of what the frame costs anyway).
 *
 *   npx tsc -b && npx tsx bench/schema.ts
 */
import { checkInbound, CLIENT_TO_SCHEDULER, decodeFrame, encodeFrame, WORKER_TO_SCHEDULER, type Direction } from '@gluon/protocol';

const tasks = Array.from({ length: 4096 }, (_, i) => ({
  key: `noop-${i.toString(16).padStart(32, '0')}`, fn: { module: '@gluon/examples/tasks', export: 'noop' }, args: [i], deps: [],
}));
const now = Date.now();
const cases: Array<{ name: string; dir: Direction; msg: object; perTask: number }> = [
  { name: 'update-graph of 4,096 tasks', dir: CLIENT_TO_SCHEDULER, msg: { op: 'update-graph', tasks, wants: tasks.map((t) => t.key) }, perTask: 4096 },
  { name: 'task-finished (inline value)', dir: WORKER_TO_SCHEDULER, msg: { op: 'task-finished', key: tasks[0]!.key, nbytes: 9, typeName: 'number', start: now, stop: now, thread: 0, value: 1, hasValue: true }, perTask: 1 },
  { name: 'heartbeat', dir: WORKER_TO_SCHEDULER, msg: { op: 'heartbeat', metrics: { cpu: 1, rss: 1e8, memoryLimit: 0, executing: 1, ready: 2, stored: 3, storedBytes: 4, time: now, paused: false } }, perTask: 1 },
];

/** CPU nanoseconds per call of `f`, after a warm-up. */
function cpuNs(f: () => void, n: number): number {
  for (let i = 0; i < Math.min(n, 2000); i++) f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

process.stdout.write('message                          check ns   decode ns   check/decode   check ns per task\n');
for (const c of cases) {
  const bytes = encodeFrame([c.msg]);
  const decoded = decodeFrame(bytes)[0]!;
  if (checkInbound(c.dir, decoded)) throw new Error(`${c.name} does not fit its schema: ${checkInbound(c.dir, decoded)}`);
  const n = c.perTask > 1 ? 300 : 300_000;
  const check = cpuNs(() => void checkInbound(c.dir, decoded), n);
  const decode = cpuNs(() => void decodeFrame(bytes), n);
  process.stdout.write(`${c.name.padEnd(32)} ${check.toFixed(0).padStart(8)}   ${decode.toFixed(0).padStart(9)}   ${(check / decode).toFixed(3).padStart(12)}   ${(check / c.perTask).toFixed(0).padStart(17)}\n`);
}
