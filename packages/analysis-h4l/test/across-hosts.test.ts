/**
 * The H→4ℓ analysis across hosts, played by network namespaces (scripts/netns.sh through
 * worker/test/netns.ts): a scheduler host, worker hosts and a client host, each with its own
 * address in 10.201.0.0/24, joined by veth links to a bridge. Each scenario disturbs the cluster
 * mid-run (a cut link, a slow lossy link, a killed scheduler) and checks the merged histograms
 * bit for bit against a serial run of the same chunks merged in the same tree. Skips with a
 * message where namespaces cannot be made (not root, no `ip`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { NetLab, netemUnavailable, netnsUnavailable } from '../../worker/test/netns.js';
import type { Proc } from '../../worker/test/procs.js';
import { generateDataset } from '../src/generate/index.js';
import { canonical, serialTree } from './fixtures/h4l-client.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const driver = fileURLToPath(new URL('./fixtures/h4l-client.mjs', import.meta.url));
const CHUNK_SIZE = 200;
const FAN_IN = 4;
const HOSTS = { sched: '10.201.0.1', w1: '10.201.0.11', w2: '10.201.0.12', w3: '10.201.0.13', client: '10.201.0.100' };

const why = netnsUnavailable();
if (why) {
  t.skip(`cross-host scenarios need network namespaces: ${why}`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'h4l-hosts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  let reference = '';
  let nChunks = 0;

  t.before(async () => {
    await generateDataset({ outDir: data, scale: 0.05, seed: 11 });
    const ref = await serialTree(data, CHUNK_SIZE, FAN_IN);
    reference = canonical(ref.result);
    nChunks = ref.chunks;
  });

  /** One scenario's cluster: scheduler, workers and the analysis client, each on its own host. */
  async function cluster(t: Test, opts: { ttl: string; workers?: string[]; beforeRun?: (lab: NetLab) => void }) {
    const lab = NetLab.create(HOSTS);
    t.teardown(() => lab.destroy());
    const sched = await lab.startScheduler('sched', ['--heartbeat-ttl', opts.ttl]);
    const workers = new Map<string, Proc>();
    for (const h of opts.workers ?? ['w1', 'w2']) workers.set(h, (await lab.startWorker(h, sched.address, ['--nthreads', '1'], pkg)).proc);
    opts.beforeRun?.(lab);
    const out = join(dir, `result-${lab.id}.json`);
    const client = lab.start('client', driver, ['run', sched.address, data, String(CHUNK_SIZE), String(FAN_IN), out], { cwd: pkg });
    await client.waitFor(new RegExp(`^start ${nChunks}$`, 'm'), 60_000);
    return { lab, sched, workers, client, out };
  }

  /** Waits for the run to end and compares its histograms with the serial reference, bit for bit. */
  async function finishedIdentical(t: Test, c: { client: Proc; out: string }): Promise<RegExpMatchArray> {
    const done = await c.client.waitFor(/^done reconnects=(\d+)$/m, 180_000);
    t.equal(await c.client.exited(30_000), 0, 'the client process ends cleanly');
    const got = readFileSync(c.out, 'utf8');
    t.ok(got === reference, `the merged H→4ℓ histograms are bit-identical to the serial run (${nChunks} chunks, fan-in ${FAN_IN})`);
    return done;
  }

  /** The client has seen `k` chunks finish (the run is under way). */
  const progressed = (c: { client: Proc }, k: number) => c.client.waitFor(new RegExp(`^progress ${k}/${nChunks}$`, 'm'), 120_000);

  t.test('1. the analysis across hosts: three worker hosts, a client host, plain ws://', async (t) => {
    const c = await cluster(t, { ttl: '10s', workers: ['w1', 'w2', 'w3'] });
    await finishedIdentical(t, c);
    t.match(c.sched.address, /^ws:\/\/10\.201\.0\.1:8786$/);
  });

  t.test('2. a worker host cut off longer than the heartbeat TTL mid-run: the run finishes, the worker rejoins', async (t) => {
    const c = await cluster(t, { ttl: '3s' });
    await progressed(c, Math.floor(nChunks / 4));
    c.lab.link('w1', 'down');
    await c.sched.proc.waitFor(/worker w1 \(10\.201\.0\.11:\d+\) expired: no heartbeat within 3000 ms/, 60_000);
    c.lab.link('w1', 'up');
    const w1 = c.workers.get('w1')!;
    await w1.waitFor(/re-registered with ws:\/\/10\.201\.0\.1:8786/, 90_000);
    t.pass('w1 registered again once its link was back');
    await finishedIdentical(t, c);
  });

  t.test('3. a worker host cut off shorter than the TTL: nothing rescheduled, nothing lost', async (t) => {
    const c = await cluster(t, { ttl: '10s' });
    await progressed(c, Math.floor(nChunks / 4));
    c.lab.link('w2', 'down');
    // Shorter than the TTL by a wide margin: the scenario is a blip, not a timing race.
    await new Promise((r) => setTimeout(r, 1000));
    c.lab.link('w2', 'up');
    await finishedIdentical(t, c);
    t.notMatch(c.sched.proc.output(), /expired|lost: connection closed/, 'the scheduler dropped no worker');
    t.notMatch(c.workers.get('w2')!.output(), /lost the scheduler/, 'w2 kept its connection');
  });

  t.test('4. 50 ms delay and 2% loss on a worker host\'s link: the run finishes', { skip: netemUnavailable() }, async (t) => {
    const c = await cluster(t, { ttl: '10s', beforeRun: (lab) => lab.netem('w1', 'delay 50ms loss 2%') });
    await finishedIdentical(t, c);
  });

  t.test('5. the scheduler host\'s process killed and restarted mid-run: the run completes', async (t) => {
    const c = await cluster(t, { ttl: '5s' });
    await progressed(c, Math.floor(nChunks / 3));
    c.sched.proc.kill('SIGKILL');
    await c.sched.proc.exited();
    const again = await c.lab.startScheduler('sched', ['--heartbeat-ttl', '5s']);
    t.equal(again.address, c.sched.address, 'the new scheduler listens on the same address');
    for (const [h, w] of c.workers) await w.waitFor(/re-registered with ws:\/\/10\.201\.0\.1:8786/, 60_000).then(() => t.pass(`${h} re-registered`));
    const done = await finishedIdentical(t, c);
    t.equal(done[1], '1', 'the client reconnected once');
  });

  t.test('6. the client host cut off briefly: the client reconnects and its futures resolve', async (t) => {
    const c = await cluster(t, { ttl: '3s' });
    await progressed(c, Math.floor(nChunks / 4));
    c.lab.link('client', 'down');
    // Long enough for the client to notice (its keep-alive drops a scheduler silent for the TTL).
    await c.client.waitFor(/lost the scheduler connection .*reconnecting/, 60_000);
    c.lab.link('client', 'up');
    const done = await finishedIdentical(t, c);
    t.equal(done[1], '1', 'the client reconnected once');
    t.notMatch(c.sched.proc.output(), /expired/, 'no worker was dropped');
  });
}
