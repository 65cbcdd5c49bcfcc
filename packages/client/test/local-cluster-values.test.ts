/**
 * LocalCluster.start() with option values it cannot use: refused at once with a RangeError naming
 * the option and value, instead of a wait for the whole start-up timeout ending in "the scheduler
 * did not start (no stderr output)". A process that cannot be spawned fails start() at once too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LocalCluster } from '@gluon/client';

t.test('unusable option values are refused up front, naming the option and the value', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-values-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ cwd: join(dir, 'missing') }, /^LocalCluster: cwd \S+missing cannot be the processes' working directory: no such directory$/],
    [{ cwd: file }, /^LocalCluster: cwd \S+a-file cannot be the processes' working directory: it is not a directory$/],
    [{ timeoutMs: -5 }, /^LocalCluster: timeoutMs must be a number of milliseconds > 0, got -5$/],
    [{ timeoutMs: Number.NaN }, /timeoutMs must be a number of milliseconds > 0, got NaN/],
    [{ dashboard: 'yes' }, /^LocalCluster: dashboard must be true, false or a port number from 0 to 65535, got "yes"$/],
    [{ dashboard: 70000 }, /dashboard must be true, false or a port number from 0 to 65535, got 70000/],
  ];
  for (const [opts, message] of cases) {
    await t.rejects(LocalCluster.start({ nWorkers: 1, ...opts }), { name: 'RangeError', message }, JSON.stringify(opts));
  }
});

t.test('a process that cannot be spawned fails start() at once with the reason, not at the timeout', async (t) => {
  // The directory passes the check in start() (before its first await) and is gone when the
  // processes are spawned: spawn emits 'error' and no 'exit'.
  const dir = mkdtempSync(join(tmpdir(), 'lc-gone-'));
  const started = LocalCluster.start({ nWorkers: 1, cwd: dir, dashboard: false, timeoutMs: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  await t.rejects(started, { message: /^LocalCluster: the (scheduler|worker local-0) could not be started: spawn \S+ ENOENT/ });
});
