/**
 * A LocalCluster's processes, each started in a session of its own, keep the script's CPU
 * priority: on Linux a new session is a new autogroup whose nice value starts at 0, so they ran
 * at normal priority beside a script at a lower (`nice`) or a higher one (a benchmark at top
 * priority: bench/scheduler.ts (b)'s round trips over 1 ms, 1,885 against 189 of 10,000 at load 20).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autogroupNice } from '../../src/autogroup.js';

t.test('the nice value of a /proc/PID/autogroup line', async (t) => {
  t.equal(autogroupNice('/autogroup-851 nice -20\n'), -20);
  t.equal(autogroupNice('/autogroup-3 nice 0'), 0);
  t.equal(autogroupNice('/autogroup-12 nice 19\n'), 19);
  t.equal(autogroupNice(''), undefined, 'nothing to read');
  t.equal(autogroupNice('nice -20'), undefined, 'not such a line');
});

t.test('a cluster started by a script at autogroup nice 5 runs at nice 5 too', {
  skip: existsSync('/proc/self/autogroup') ? false : 'no /proc/self/autogroup here (not Linux, or a kernel without autogroups)',
}, async (t) => {
  const script = join(dirname(fileURLToPath(import.meta.url)), '../fixtures', 'autogroup-script.mjs');
  // A session of its own, so its write to its own group changes nothing of this test's.
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('close', (c, s) => r(c ?? s)));
  t.equal(code, 0, out);
  const seen = JSON.parse(/^\{.*\}$/m.exec(out)?.[0] ?? '{}') as { own?: string; cluster?: string[] };
  t.equal(autogroupNice(seen.own ?? ''), 5, `the script's own group: ${seen.own}`);
  t.equal(seen.cluster?.length, 2, 'a scheduler and a worker');
  for (const line of seen.cluster ?? []) t.equal(autogroupNice(line), 5, `a cluster process's group: ${line}`);
});
