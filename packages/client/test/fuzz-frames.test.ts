/**
 * Schema-aware fuzzing (fuzz-kit.ts) of a real scheduler and a real worker's data listener, in
 * bounded runs: a fixed seed (the same cases every run) and a few cases of a random seed
 * (fast-check prints it on failure, to replay). Every case's verdict must be the one its schema
 * predicts; afterwards both processes are up, their memory is bounded and an ordinary run works.
 * `npx tsx bench/fuzz.ts` runs the same for as long as asked.
 */
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { Client, remoteFrom } from '@gluon/client';
import { CLIENT_TO_SCHEDULER, PEER_TO_WORKER, WORKER_TO_SCHEDULER } from '@gluon/protocol';
import { describeCase, FORGED, fuzzCase, runCase, type Target } from './fuzz-kit.js';
import { rssMiB, startScheduler, startWorker, type Proc } from './procs.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const FIXED_SEED = 20261202;

async function fuzz(t: Test, target: Target, proc: Proc, numRuns: number, seed?: number): Promise<void> {
  const kinds = new Map<string, number>();
  await fc.assert(fc.asyncProperty(fuzzCase(target), async (c) => {
    const o = await runCase(target, c);
    const k = `${describeCase(c).split(' ').slice(0, 2).join(' ')} -> ${o.code}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
    if (!proc.alive()) throw new Error(`${target.name} exited after ${o.label}; output:\n${proc.output()}`);
  }), { numRuns, ...(seed !== undefined ? { seed } : {}) });
  t.pass(`${target.name}: ${numRuns} cases (${seed !== undefined ? `seed ${seed}` : 'random seed'}): ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
}


t.test('a scheduler and a worker data listener survive schema-aware fuzzing with the verdicts their schemas give', async (t) => {
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);
  const scheduler: Target = {
    name: 'scheduler', address: s.address, self: 'scheduler', roles: ['client', 'worker'],
    inbound: { client: CLIENT_TO_SCHEDULER, worker: WORKER_TO_SCHEDULER },
  };
  const worker: Target = { name: 'worker data listener', address: w.address, self: 'worker', roles: ['peer', 'client'], inbound: { peer: PEER_TO_WORKER, client: PEER_TO_WORKER } };
  const rss0 = [rssMiB(s.child.pid!), rssMiB(w.child.pid!)];

  await fuzz(t, scheduler, s, 300, FIXED_SEED);
  await fuzz(t, worker, w, 120, FIXED_SEED);
  await fuzz(t, scheduler, s, 60);
  await fuzz(t, worker, w, 30);

  const rss1 = [rssMiB(s.child.pid!), rssMiB(w.child.pid!)];
  t.ok(rss1[0]! - rss0[0]! < 128, `scheduler RSS ${rss0[0]!.toFixed(0)} -> ${rss1[0]!.toFixed(0)} MiB`);
  t.ok(rss1[1]! - rss0[1]! < 128, `worker RSS ${rss0[1]!.toFixed(0)} -> ${rss1[1]!.toFixed(0)} MiB`);
  t.ok(s.alive() && w.alive(), 'both still running');
  // Odd strings (fuzz-kit's ODD_STRINGS) reached their logs: as text inside a line, never a line.
  for (const [who, p] of [['scheduler', s], ['worker', w]] as const) {
    const forged = p.output().split('\n').filter((l) => /^\S* ?scheduler: FORGED|^[\r\x1b]|\r/.test(l) && l.includes(FORGED));
    t.equal(forged.length, 0, `${who}: no line of its log was written by a fuzz case (${forged.length})`);
  }
  const client = await Client.connect(s.address);
  try {
    t.same(await client.gather(client.map(inc, [1, 2, 3])), [2, 3, 4], 'an ordinary run right after works');
  } finally {
    await client.close();
  }
});
