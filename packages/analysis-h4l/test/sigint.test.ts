/**
 * Ctrl-C (SIGINT) during `gluon-h4l run`: it says it was interrupted and how far it had got, stops
 * the run, closes what it started and exits 130. It printed nothing and died by the signal. A
 * real CLI process and a real scheduler; the signal is sent once the run is known to be
 * processing (its "waiting for workers" line: the scheduler has no worker, so no chunk can be done
 * before the signal, and the line's figures are known; sigint-run.ts, shared with gluon-finalstates).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { generateDataset } from '../src/generate/index.js';
import { interruptedLine } from '../src/app.js';
import { CLI, cliSandbox } from './cli-sandbox.js';
import { interruptWhileWaiting, printed } from './sigint-run.js';

const { tmp } = cliSandbox(t, 'gluon-h4l-sigint-');
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] }));

t.test('Ctrl-C while processing: says how far it got, closes its scheduler connection (its tasks released), exits 130', async (t) => {
  const out = path.join(tmp, 'interrupted-out');
  const r = await interruptWhileWaiting(t, CLI, ['run', '--data-dir', data, '--chunk-size', '100', '--out', out, '--no-config'], tmp);
  t.same(r.exit, [130, null], 'exit code 130, not death by the signal');
  const { files, events, chunks } = r.totals;
  t.match(r.stderr, `gluon-h4l run: interrupted (SIGINT) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing the cluster, no outputs written`);
  t.notOk(existsSync(path.join(out, 'run.json')), 'no outputs written');
  t.pass('the scheduler holds none of its tasks');
});

t.test('Ctrl-C on a run with a LocalCluster: the run handles it (closes the cluster, exit 130); a second Ctrl-C ends it at once', async (t) => {
  // The listener was removed as the signal came (process.once); the LocalCluster's process-end
  // handler, next in line, then found no one else listening, killed the cluster's processes and
  // ended the process by the signal: no exit 130, no close (the CLIs' default runs).
  const fixture = fileURLToPath(new URL('./fixtures/ctrl-c-local-cluster.mjs', import.meta.url));
  const start = (mode: string) => {
    const p = spawn(process.execPath, [fixture, mode], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('exit', (code, signal) => resolve([code, signal])));
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    return { p, exited, stdout: () => out };
  };
  const once = start('close');
  await printed(once.p.stdout, /ready\n/, 'ready');
  once.p.kill('SIGINT');
  t.same(await once.exited, [130, null], 'the run closed its cluster and exited 130');
  t.match(once.stdout(), /closed\n/);
  const twice = start('hold');
  const stopping = printed(twice.p.stdout, /stopping\n/, 'stopping');
  await printed(twice.p.stdout, /ready\n/, 'ready');
  twice.p.kill('SIGINT');
  await Promise.race([stopping, twice.exited.then((e) => { throw new Error(`ended (${e.join(', ')}) on the first Ctrl-C`); })]);
  twice.p.kill('SIGINT');
  t.same(await twice.exited, [null, 'SIGINT'], 'the second Ctrl-C ends it by the signal');
});

t.test('the interrupted line: chunks, files and events done of their totals, or that it was still starting', async (t) => {
  t.equal(interruptedLine({}), 'gluon-h4l run: interrupted (SIGINT) while starting (listing files, counting entries, starting the cluster): no chunk processed yet; closing the cluster, no outputs written');
  t.equal(interruptedLine({ totals: { chunks: 40, files: 12, events: 1_200_000 }, last: { chunksDone: 17, chunksTotal: 40, filesDone: 5, filesTotal: 12, events: 512_000, eventsTotal: 1_200_000, elapsedMs: 9000 } }),
    'gluon-h4l run: interrupted (SIGINT) while processing: 17 of 40 chunks done (5 of 12 files, 512,000 of 1,200,000 events); closing the cluster, no outputs written');
});
