/**
 * The H→4ℓ analysis across hosts played by network namespaces (scripts/netns.sh through
 * worker/test/netns.ts), for the across-hosts-*.test.ts scenarios: a scheduler host, worker hosts
 * and a client host, each with its own address in 10.201.0.0/24, joined by veth links to a
 * bridge, with a token and TLS (wss://, a temporary CA) on every connection. A scenario disturbs
 * the cluster mid-run and checks the merged histograms bit for bit against a serial run of the
 * same chunks merged in the same tree.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { NetLab } from '../../worker/test/netns.js';
import type { Proc } from '../../worker/test/procs.js';
import { generateDataset } from '../src/generate/index.js';
import { canonical, serialTree } from './fixtures/h4l-client.mjs';

export { netemUnavailable, netnsUnavailable } from '../../worker/test/netns.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const driver = fileURLToPath(new URL('./fixtures/h4l-client.mjs', import.meta.url));
const CHUNK_SIZE = 200;
export const FAN_IN = 4;
const HOSTS = { sched: '10.201.0.1', w1: '10.201.0.11', w2: '10.201.0.12', w3: '10.201.0.13', client: '10.201.0.100' };

/** One scenario's cluster: scheduler, workers and the analysis client, each on its own host. */
export interface HostsCluster {
  lab: NetLab;
  sched: { proc: Proc; address: string };
  workers: Map<string, Proc>;
  client: Proc;
  out: string;
}

/**
 * The dataset and its serial reference, made once per test file (in `t.before`), and the
 * helpers the scenarios share.
 */
export class HostsSuite {
  private reference = '';
  /** Chunks of the run. */
  nChunks = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'h4l-hosts-'));
  private readonly data = join(this.dir, 'data');

  constructor(t: Test) {
    t.teardown(() => rmSync(this.dir, { recursive: true, force: true }));
    t.before(async () => {
      await generateDataset({ outDir: this.data, scale: 0.05, seed: 11 });
      const ref = await serialTree(this.data, CHUNK_SIZE, FAN_IN);
      this.reference = canonical(ref.result);
      this.nChunks = ref.chunks;
    });
  }

  /** Starts the scenario's hosts and processes; the client is running the analysis when it resolves. */
  async cluster(t: Test, opts: { ttl: string; workers?: string[]; relayed?: string[]; beforeRun?: (lab: NetLab) => void }): Promise<HostsCluster> {
    const lab = await NetLab.create(HOSTS, opts.relayed ? { relayed: opts.relayed } : {});
    t.teardown(() => lab.destroy());
    const sched = await lab.startScheduler('sched', ['--heartbeat-ttl', opts.ttl]);
    const workers = new Map<string, Proc>();
    for (const h of opts.workers ?? ['w1', 'w2']) workers.set(h, (await lab.startWorker(h, sched.address, ['--nthreads', '1'], pkg)).proc);
    opts.beforeRun?.(lab);
    const out = join(this.dir, `result-${lab.id}.json`);
    const client = lab.start('client', driver, ['run', sched.address, this.data, String(CHUNK_SIZE), String(FAN_IN), out, ...(lab.tls ? [lab.tls.ca] : [])], { cwd: pkg });
    await client.waitFor(new RegExp(`^start ${this.nChunks}$`, 'm'));
    return { lab, sched, workers, client, out };
  }

  /** Waits for the run to end and compares its histograms with the serial reference, bit for bit. */
  async finishedIdentical(t: Test, c: HostsCluster): Promise<RegExpMatchArray> {
    const done = await c.client.waitFor(/^done reconnects=(\d+)$/m, 180_000);
    t.equal(await c.client.exited(), 0, 'the client process ends cleanly');
    const got = readFileSync(c.out, 'utf8');
    t.ok(got === this.reference, `the merged H→4ℓ histograms are bit-identical to the serial run (${this.nChunks} chunks, fan-in ${FAN_IN})`);
    return done;
  }

  /**
   * The client reconnected after the one loss a scenario makes. Another loss may follow on a starved
   * machine: the TTLs here are seconds, so a scheduler or client starved that long is dropped by a
   * keep-alive, which is the keep-alive working (seen at load 50: 2 reconnects). Any loss beyond the
   * first must be exactly that, never anything else.
   */
  reconnected(t: Test, c: HostsCluster, done: RegExpMatchArray): void {
    const n = Number(done[1]);
    const losses = c.client.output().match(/lost the scheduler connection \([^\n]*/g) ?? [];
    t.ok(n >= 1, `the client reconnected (${n} time${n === 1 ? '' : 's'})`);
    t.same(losses.slice(1).filter((l) => !/nothing heard/.test(l)), [], `a loss after the first was a keep-alive's drop of a silent side, nothing else (${losses.length} losses)`);
  }

  /** The client has seen a `share` of the chunks finish (the run is under way). */
  progressed(c: HostsCluster, share: number): Promise<RegExpMatchArray> {
    const k = Math.max(1, Math.floor(this.nChunks * share));
    return c.client.waitFor(new RegExp(`^progress ${k}/${this.nChunks}$`, 'm'), 120_000);
  }
}
