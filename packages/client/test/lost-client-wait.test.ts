/**
 * A script stopped mid-run (Ctrl-C, kill) while its task runs, and the same user's next script
 * started at once on the same cluster: the scheduler keeps the lost script's work for the session
 * grace in case it reconnects, so its running task keeps the only thread, and the next script's
 * task waits until the grace ends. It waited with nothing said (58 s for three trivial tasks, by
 * hand). Now the waiting client is told why, and when it ends. Real scheduler, worker and
 * clients; the first script is a process killed with SIGKILL, as a terminal's Ctrl-C ends it
 * (no close frame).
 *
 * The next script's task is submitted before the first script is killed, so that from the loss
 * on, the notice (one --memory-stall after it) and the end of the grace are both the scheduler's
 * own timers, in that order; nothing of this process has to happen within the grace. The grace is
 * the one wait this test sits out, so it is 10 s, not the 30 s it was when the next script was
 * started only after the first was seen lost.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom, type ClusterWarning } from '@gluon/client';
import { repo, startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const tasks = pathToFileURL(join(here, 'fixtures/tasks.mjs'));
const { incAfter } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(tasks);

const procs: Proc[] = [];
t.teardown(() => { for (const p of procs) p.kill('SIGKILL'); });

t.test('tasks waiting behind a lost client\'s running task: the waiting client is told who and until when, and when it ends', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-lost-wait-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The notice comes one --memory-stall (and a tick) after the loss: the grace is 50 times that.
  const s = await startScheduler(0, ['--session-grace', '10s', '--memory-stall', '200ms', '--no-dashboard']);
  procs.push(s.proc);
  procs.push((await startWorker(s.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);

  // The first script: its task takes the one thread and never ends.
  const started = join(dir, 'started');
  const script = [
    "import { Client, remoteFrom } from '@gluon/client';",
    `const { spin } = remoteFrom(${JSON.stringify(tasks.href)});`,
    `const client = await Client.connect(${JSON.stringify(s.address)}, { name: 'first-script' });`,
    `await client.submit(spin, ${JSON.stringify(started)}).result();`,
  ].join('\n');
  const first = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, stdio: 'ignore' });
  t.teardown(() => { first.kill('SIGKILL'); });
  await until(() => existsSync(started) && readFileSync(started, 'utf8').includes('started'), 'the first script\'s task running');

  // The next script: its task waits behind the first's, which is still connected (nothing to say yet).
  const client = await Client.connect(s.address, { name: 'next-script' });
  t.teardown(() => client.close());
  const heard: Array<ClusterWarning & { active: boolean }> = [];
  client.onWarning((w) => { if (w.kind === 'lost-client-work') heard.push(w); });
  const result = client.submit(incAfter, 1, 0).result();
  let done = false;
  void result.then(() => { done = true; }, (err: Error) => { done = true; t.fail(`the task failed: ${err.message}`); });
  await client.whenSent();

  first.kill('SIGKILL');
  await s.proc.waitFor(/client first-script \(.*\) lost: connection closed .*keeping its keys for 10000 ms/);
  // Bounded by the event that would make the notice moot: the result arriving when the grace ends.
  await until(() => heard.length > 0 || done, 'the notice, or the result');
  t.ok(heard.length > 0, 'told before its result came');
  t.equal(heard[0]?.active, true);
  t.match(heard[0]?.text ?? '', /^waiting: 1 task\(s\) wait for a thread, and every thread is taken; 1 of the tasks on the workers are those of client first-script \(1 task\(s\); lost \d+\.\d s ago, cancelled in \d+\.\d s\), whose connection was lost: the scheduler keeps a lost client's work for --session-grace in case it reconnects, and cancels its tasks when that ends/);
  await s.proc.waitFor(/waiting: 1 task\(s\) wait for a thread, .* client first-script/);

  t.equal(await result, 2, 'the task ran once the lost client\'s was cancelled');
  await until(() => heard.length > 1, 'the end of the notice');
  t.match(heard[1], { active: false, text: /^no longer waiting behind a lost client's tasks: no lost client's task is on the workers any more \(it came back, or its tasks were cancelled\)$/ });
});
