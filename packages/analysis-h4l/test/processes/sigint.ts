/**
 * Ctrl-C (SIGINT) during `gluon-h4l run`: it says it was interrupted and how far it had got, stops
 * the run, closes what it started and exits 130. It printed nothing and died by the signal. A
 * real CLI process and a real scheduler; the signal is sent once the run is known to be
 * processing (its "waiting for workers" line: the scheduler has no worker, so no chunk can be done
 * before the signal, and the line's figures are known; sigint-run.ts, shared with gluon-finalstates).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { LocalCluster } from '@gluon/client';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { interruptedLine } from '../../src/app.js';
import { CLI, cliSandbox } from '../cli-sandbox.js';
import { interruptBatchRun, interruptWhileWaiting, printed } from '../sigint-run.js';

const { tmp } = cliSandbox(t, 'gluon-h4l-sigint-');
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] }));

t.test('Ctrl-C while processing: says how far it got, closes its scheduler connection (its tasks released), exits 130', async (t) => {
  const out = path.join(tmp, 'interrupted-out');
  const r = await interruptWhileWaiting(t, CLI, ['run', '--data-dir', data, '--chunk-size', '100', '--out', out, '--no-config'], tmp);
  t.same(r.exit, [130, null], 'exit code 130, not death by the signal');
  const { files, events, chunks } = r.totals;
  t.match(r.stderr, `gluon-h4l run: interrupted (SIGINT) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing its connection to the scheduler, which lets go of the run's tasks and stays up; no outputs written`);
  t.notOk(existsSync(path.join(out, 'run.json')), 'no outputs written');
  t.pass('the scheduler holds none of its tasks');
});

t.test('SIGHUP (a closed terminal, a dropped ssh connection) while processing: as Ctrl-C, exit 129', async (t) => {
  // It was left to its default: the run died by the signal, saying nothing, its tasks left on the
  // scheduler for the session grace.
  const out = path.join(tmp, 'hup-out');
  const r = await interruptWhileWaiting(t, CLI, ['run', '--data-dir', data, '--chunk-size', '100', '--out', out, '--no-config'], tmp, 'SIGHUP');
  t.same(r.exit, [129, null], 'exit code 129, not death by the signal');
  const { files, events, chunks } = r.totals;
  t.match(r.stderr, `gluon-h4l run: interrupted (SIGHUP) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing its connection to the scheduler, which lets go of the run's tasks and stays up; no outputs written`);
  t.notOk(existsSync(out), 'no outputs written');
  t.pass('the scheduler holds none of its tasks');
});

t.test('SIGHUP to a batch run (--cluster pbs) whose job is queued: its job cancelled, exit 129', async (t) => {
  const out = path.join(tmp, 'hup-batch-out');
  const r = await interruptBatchRun(t, CLI, ['run', '--no-config', '--data-dir', data, '--out', out], path.join(tmp, 'hup-batch'), 'SIGHUP');
  t.same(r.exit, [129, null], `exit code 129, not death by the signal\n${r.stderr}`);
  t.match(r.stderr, /^gluon-h4l run: interrupted \(SIGHUP\) while processing: 0 of \d+ chunks? done .*; closing the cluster, no outputs written$/m);
  t.same(r.deleted, ['1.fakepbs'], 'the job it submitted was cancelled (qdel)');
  t.notOk(existsSync(out), 'no outputs written');
});

t.test('SIGHUP from a real terminal closed (script(1), its pty gone): the run ends as SIGHUP says, not by a crash', async (t) => {
  // Stopped cleanly, the run's process.exit(129) crashed on Node 20 (SIGSEGV or SIGABRT: its exit
  // puts the terminal's settings back, and the terminal is gone).
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false });
  t.teardown(() => cluster.close());
  const result = path.join(tmp, 'pty-result.fifo');
  execFileSync('mkfifo', [result]);
  const ended = readFile(result, 'utf8');
  const recorder = fileURLToPath(new URL('../fixtures/exit-recorder.cjs', import.meta.url));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const inner = [process.execPath, recorder, result, CLI, 'run', '--no-config', '--data-dir', data, '--out', path.join(tmp, 'pty-out'), '--scheduler', cluster.schedulerAddress].map(q).join(' ');
  // The terminal's session leader a shell (it dies of the hang-up; the kernel then sends SIGHUP
  // to the run, in the terminal's foreground), not the recorder.
  const term = spawn('script', ['-qfc', `sh -c ${q(`${inner}; true`)}`, '/dev/null'], { cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => { if (term.exitCode === null && term.signalCode === null) term.kill('SIGKILL'); });
  await printed(term.stdout, /waiting for workers/, 'the run\'s "waiting for workers" line on the terminal');
  term.kill('SIGKILL');
  const [code, signal] = (await ended).split(' ');
  t.ok(code === '129' || signal === 'SIGHUP', `exit 129 or the signal (both 129 to a shell), not a crash: ${code} ${signal}`);
});

t.test('Ctrl-C on a run with a LocalCluster: the run handles it (closes the cluster, exit 130); a second Ctrl-C ends it at once', async (t) => {
  // The listener was removed as the signal came (process.once); the LocalCluster's process-end
  // handler, next in line, then found no one else listening, killed the cluster's processes and
  // ended the process by the signal: no exit 130, no close (the CLIs' default runs).
  const fixture = fileURLToPath(new URL('../fixtures/ctrl-c-local-cluster.mjs', import.meta.url));
  const start = (mode: string) => {
    const p = spawn(process.execPath, [fixture, mode], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('close', (code, signal) => resolve([code, signal])));
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
  // A --scheduler run closes only its connection: the line said `closing the cluster` there too,
  // which read as if the scheduler the run was given (and other users' work on it) were stopped.
  t.equal(interruptedLine({ scheduler: true }), "gluon-h4l run: interrupted (SIGINT) while starting (listing files, counting entries, connecting to the scheduler): no chunk processed yet; closing its connection to the scheduler, which lets go of the run's tasks and stays up; no outputs written");
});

// Ctrl-C while Client.connect retried a scheduler that would not answer: the run said it was
// interrupted and then went on retrying, ~10 s later printing `Client.connect(ws://…): cannot
// connect to scheduler …` and exiting 1, not 130.
t.test('Ctrl-C while connecting to a --scheduler that does not answer: stops at once, exit 130', async (t) => {
  // Takes each connection and drops it: Client.connect retries, and each try is seen here.
  let tried!: () => void;
  const triedOnce = new Promise<void>((resolve) => { tried = resolve; });
  const server = createServer((s) => { s.destroy(); tried(); });
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const scheduler = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const p = spawn(process.execPath, [CLI, 'run', '--no-config', '--data-dir', data, '--out', path.join(tmp, 'connect-out'), '--scheduler', scheduler], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('close', (code, signal) => resolve([code, signal])));
  await triedOnce;
  p.kill('SIGINT');
  t.same(await exited, [130, null], `exit 130, not the connection's failure: ${stderr}`);
  t.match(stderr, /^gluon-h4l run: interrupted \(SIGINT\) while starting \(listing files, counting entries, connecting to the scheduler\): no chunk processed yet; /);
  t.notMatch(stderr, /cannot connect/, 'and no retrying after it');
  t.notOk(existsSync(path.join(tmp, 'connect-out')), 'no outputs written');
});
