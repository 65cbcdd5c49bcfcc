/**
 * Deep schema-aware fuzzing (not a test): the cases of packages/client/test/fuzz-kit.ts against
 * a real scheduler and a real worker's data listener, for as many cases as asked. Every case's
 * verdict must be the one its op's schema predicts; the processes must stay up, their RSS bounded,
 * and an ordinary run must work at the end. Prints counts per kind of case and close code.
 *
 *   npx tsc -b && npx tsx bench/fuzz.ts [--runs 20000] [--seed N]
 *
 * `--runs` is per target (the worker listener gets a third of it); without `--seed` a random
 * one is used and printed, so a failure can be replayed.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { Client, remoteFrom } from '@gluon/client';
import { CLIENT_TO_SCHEDULER, PEER_TO_WORKER, WORKER_TO_SCHEDULER } from '@gluon/protocol';
import { describeCase, fuzzCase, runCase, type Target } from '../packages/client/test/fuzz-kit.js';
import { rssMiB, startScheduler, startWorker, type Owner, type Proc } from '../packages/client/test/procs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: bench/fuzz.ts [--runs N] [--seed N]\n');
  process.exit(2);
}

const cleanups: Array<() => void> = [];
const owner: Owner = { teardown: (fn) => cleanups.push(fn) };
process.on('exit', () => cleanups.forEach((fn) => fn()));
process.on('SIGINT', () => process.exit(130));

async function fuzz(target: Target, proc: Proc, numRuns: number): Promise<void> {
  const counts = new Map<string, number>();
  const rss0 = rssMiB(proc.child.pid!);
  let peak = rss0;
  const t0 = performance.now();
  let done = 0;
  await fc.assert(fc.asyncProperty(fuzzCase(target), async (c) => {
    const o = await runCase(target, c);
    const k = `${c.kind === 'message' ? `${c.role} ${c.mutation}` : describeCase(c)} -> ${o.code}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (!proc.alive()) throw new Error(`${target.name} exited after ${o.label}; output:\n${proc.output()}`);
    if (++done % 500 === 0) {
      peak = Math.max(peak, rssMiB(proc.child.pid!));
      process.stderr.write(`  ${target.name}: ${done}/${numRuns} cases, RSS ${peak.toFixed(0)} MiB peak\n`);
    }
  }), { numRuns, seed });
  const secs = (performance.now() - t0) / 1000;
  const rss1 = rssMiB(proc.child.pid!);
  process.stdout.write(`\n${target.name}: ${numRuns} cases in ${secs.toFixed(1)} s (${(numRuns / secs).toFixed(0)}/s), seed ${seed}; `
    + `RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MiB (peak ${Math.max(peak, rss1).toFixed(0)})\n`);
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${String(n).padStart(7)}  ${k}\n`);
}

const s = await startScheduler(owner);
const w = await startWorker(owner, s.address, ['--nthreads', '1']);
await fuzz({ name: 'scheduler', address: s.address, self: 'scheduler', roles: ['client', 'worker'], inbound: { client: CLIENT_TO_SCHEDULER, worker: WORKER_TO_SCHEDULER } }, s, runs);
await fuzz({ name: 'worker data listener', address: w.address, self: 'worker', roles: ['peer', 'client'], inbound: { peer: PEER_TO_WORKER, client: PEER_TO_WORKER } }, w, Math.max(1, Math.floor(runs / 3)));
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const client = await Client.connect(s.address);
const got = await client.gather(client.map(inc, [1, 2, 3]));
await client.close();
process.stdout.write(`\nordinary run afterwards: ${JSON.stringify(got)} (expected [2,3,4])\n`);
process.exit(JSON.stringify(got) === '[2,3,4]' ? 0 : 1);
