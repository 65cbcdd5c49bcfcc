/**
 * Ctrl-C (SIGINT) during `gluon-h4l run`: it says it was interrupted and how far it had got, stops
 * the run, closes what it started and exits 130. It printed nothing and died by the signal. A
 * real CLI process and a real scheduler; the signal is sent once the run is known to be
 * processing (its "waiting for workers" line: the scheduler has no worker, so no chunk can be done
 * before the signal, and the line's figures are known).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { LocalCluster } from '@gluon/client';
import { generateDataset } from '../src/generate/index.js';
import { interruptedLine } from '../src/app.js';
import { CLI, cliSandbox } from './cli-sandbox.js';

const { tmp } = cliSandbox(t, 'gluon-h4l-sigint-');
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] }));

/** Resolves with the output once `re` matches what `stream` printed, or rejects after 120 s naming what it waited for. */
function printed(stream: NodeJS.ReadableStream, re: RegExp, what: string): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within 120 s; got:\n${out}`)), 120_000);
    stream.on('data', (b: Buffer) => {
      out += b.toString();
      if (re.test(out)) { clearTimeout(timer); resolve(out); }
    });
  });
}

t.test('Ctrl-C while processing: says how far it got, closes its scheduler connection (its tasks released), exits 130', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 0 });
  t.teardown(() => cluster.close());
  const out = path.join(tmp, 'interrupted-out');
  const p = spawn(process.execPath, [CLI, 'run', '--data-dir', data, '--scheduler', cluster.schedulerAddress, '--chunk-size', '100', '--out', out, '--no-config'],
    { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<[number | null, string | null]>((resolve) => p.on('exit', (code, signal) => resolve([code, signal])));
  const stderr = printed(p.stderr, /interrupted \(SIGINT\)[^\n]*\n/, 'interrupted line');
  const stdout = await printed(p.stdout, /waiting for workers/, '"waiting for workers" line');
  const start = /selection notebook, (\d+) files?, ([\d,]+) events? in (\d+) chunks?/.exec(stdout);
  t.ok(start, `the run's first line gives its totals: ${stdout.split('\n')[0]}`);
  const [, files, events, chunks] = start!;
  p.kill('SIGINT');
  t.same(await exited, [130, null], 'exit code 130, not death by the signal');
  t.match(await stderr, `gluon-h4l run: interrupted (SIGINT) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing the cluster, no outputs written`);
  // The run's client closed: the scheduler let its chunk tasks go (none waits any more).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await (await fetch(new URL('api/state', cluster.dashboardUrl))).json() as { groups: Array<{ counts: Record<string, number> }> };
    const waiting = state.groups.reduce((a, g) => a + g.counts.waiting + g.counts.queued + g.counts.processing, 0);
    if (waiting === 0) break;
    if (Date.now() > deadline) throw new Error(`the scheduler still has ${waiting} of the run's tasks 60 s after it ended`);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.pass('the scheduler holds none of its tasks');
});

t.test('the interrupted line: chunks, files and events done of their totals, or that it was still starting', async (t) => {
  t.equal(interruptedLine({}), 'gluon-h4l run: interrupted (SIGINT) while starting (listing files, counting entries, starting the cluster): no chunk processed yet; closing the cluster, no outputs written');
  t.equal(interruptedLine({ totals: { chunks: 40, files: 12, events: 1_200_000 }, last: { chunksDone: 17, chunksTotal: 40, filesDone: 5, filesTotal: 12, events: 512_000, eventsTotal: 1_200_000, elapsedMs: 9000 } }),
    'gluon-h4l run: interrupted (SIGINT) while processing: 17 of 40 chunks done (5 of 12 files, 512,000 of 1,200,000 events); closing the cluster, no outputs written');
});
