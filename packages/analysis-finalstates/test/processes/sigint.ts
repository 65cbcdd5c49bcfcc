/**
 * Ctrl-C (SIGINT) during a gluon-finalstates run: as gluon-h4l run (run-console.ts, shared), it says
 * it was interrupted and how far it had got, stops the run, closes what it started and exits 130.
 * It printed nothing and died by the signal, leaving its tasks on the scheduler for the session
 * grace. A real CLI and a real scheduler with no worker: the signal is sent on the run's "waiting
 * for workers" line, when no chunk can be done yet and the line's figures are known (the setup is
 * analysis-h4l's test/sigint-run.ts, shared with gluon-h4l run's test).
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { writingInterruptedLine } from '@gluon/analysis-h4l';
import { interruptBatchRun, interruptWhileWaiting, printed } from '../../../analysis-h4l/test/sigint-run.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

// SIGHUP (a closed terminal, a dropped ssh connection) was left to its default: the run died by
// the signal, saying nothing, its tasks left on the scheduler for the session grace.
for (const [sig, code, what] of [['SIGINT', 130, 'Ctrl-C'], ['SIGHUP', 129, 'SIGHUP']] as const) t.test(`${what} while processing: says how far it got, closes its scheduler connection (its tasks released), exits ${code}`, async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), `fs-${sig.toLowerCase()}-`));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B'] });
  const runDir = path.join(tmp, 'run');
  const r = await interruptWhileWaiting(t, CLI, ['--data-dir', data, '--chunk-size', '100', '--run-dir', runDir], tmp, sig);
  t.same(r.exit, [code, null], `exit code ${code}, not death by the signal`);
  const { files, events, chunks } = r.totals;
  t.match(r.stderr, `gluon-finalstates: interrupted (${sig}) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing its connection to the scheduler, which lets go of the run's tasks and stays up; no outputs written`);
  t.notOk(existsSync(path.join(runDir, 'run.json')), 'no outputs written');
  t.pass('the scheduler holds none of its tasks');
});

t.test('SIGHUP to a batch run (--cluster pbs) whose job is queued: its job cancelled, exit 129', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-sighup-batch-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A'] });
  const runDir = path.join(tmp, 'run');
  const r = await interruptBatchRun(t, CLI, ['--data-dir', data, '--run-dir', runDir], tmp, 'SIGHUP');
  t.same(r.exit, [129, null], `exit code 129, not death by the signal\n${r.stderr}`);
  t.match(r.stderr, /^gluon-finalstates: interrupted \(SIGHUP\) while processing: 0 of \d+ chunks? done .*; closing the cluster, no outputs written$/m);
  t.same(r.deleted, ['1.fakepbs'], 'the job it submitted was cancelled (qdel)');
  t.notOk(existsSync(path.join(runDir, 'run.json')), 'no outputs written');
  // Its workers are jobs: it said to start them by hand (gluon-worker ws://…) while they were in the queue.
  t.match(r.stdout, /^waiting for workers: its pbs job 1\.fakepbs is pending in the batch queue; the run goes on when one runs \(the cluster says why they wait if they stay pending; Ctrl-C stops the run\)$/m, 'the waiting line names the queued job');
  t.notMatch(r.stdout, 'gluon-worker ws://');
});

// SIGHUP too (a closed terminal): it ended the process by the signal there, the outputs cut short.
for (const [sig, code, what] of [['SIGINT', 130, 'Ctrl-C'], ['SIGHUP', 129, 'SIGHUP']] as const) t.test(`${what} while the outputs are written: said, the outputs finished, exit ${code}`, async (t) => {
  // Before, the signal ended the process once the chunks were done: nothing said, the run's work
  // lost or a file cut short. The run is held in its writing phase without a hook: one of its
  // output files (the summary, written after the ROOT file) is a named pipe the test reads.
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-sigint-writing-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B'] });
  const runDir = path.join(tmp, 'run');
  mkdirSync(path.join(runDir, 'histograms'), { recursive: true });
  const summary = path.join(runDir, 'histograms', 'finalstates.summary.json');
  execFileSync('mkfifo', [summary]);
  const p = spawn(process.execPath, [CLI, '--data-dir', data, '--n-workers', '0', '--chunk-size', '100', '--run-dir', runDir], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('close', (code, signal) => resolve([code, signal])));
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  p.stdout.resume();
  const orEnded = <T>(step: Promise<T>, what: string) => Promise.race([step, exited.then((e): never => { throw new Error(`the run ended (${e.join(', ')}) before ${what}: ${stderr}`); })]);
  // Resolves once the run opens the summary to write it: every chunk is done, it is writing.
  const pipe = await orEnded(open(summary, 'r'), 'writing its summary');
  const said = printed(p.stderr, new RegExp(`interrupted \\(${sig}\\) while writing[^\\n]*\\n`), 'the interrupted-while-writing line');
  said.catch(() => {}); // awaited below unless the run died first
  p.kill(sig);
  t.match(await orEnded(said, `saying anything of the ${what}`), `${writingInterruptedLine(runDir, 'gluon-finalstates', sig)}\n`);
  const body = await pipe.readFile('utf8');
  await pipe.close();
  t.ok(JSON.parse(body), 'the summary was written whole');
  t.same(await exited, [code, null], `exit ${code} once the outputs are written`);
  t.ok(existsSync(path.join(runDir, 'run.json')), 'run.json written');
  t.ok(existsSync(path.join(runDir, 'histograms', 'finalstates.root')), 'the ROOT file written');
});
