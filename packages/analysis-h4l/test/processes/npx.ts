/**
 * `npx gluon-h4l run` as a user runs it: npm does not pass SIGTERM on to the command it runs, so
 * the CLI must notice that npm is gone and stop, as gluon-scheduler and gluon-worker do (the
 * README: "Started through npm (npx, npm exec), a CLI stops when npm is stopped"). It did not: a
 * killed npx left gluon-h4l running, re-parented to init, with its cluster (for ever with --linger,
 * or waiting for workers).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '../../src/generate/index.js';
import { alive, descendants, printed } from '../../../../test/helpers/process-tree.js';

const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const schedulerCli = fileURLToPath(new URL('../../../scheduler/bin/gluon-scheduler.js', import.meta.url));

t.test('SIGTERM to npx gluon-h4l run stops the analysis and every process under it', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'h4l-npx-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 3, samples: ['data_A'] });
  // A scheduler with no workers: the run waits for workers, and waits until it is stopped.
  const sched = spawn(process.execPath, [schedulerCli, '--port', '0', '--no-dashboard'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { sched.kill('SIGKILL'); });
  const [, address] = await printed(sched, /^scheduler at (ws:\S+)$/m, 'gluon-scheduler');
  // From the checkout, as the README runs its bins (npx finds them in node_modules/.bin).
  // Its entry cache in the test's directory, not the checkout's .cache/ (the run's cwd).
  const config = path.join(tmp, 'config.yaml');
  writeFileSync(config, `entry_cache: ${JSON.stringify(path.join(tmp, 'entries.json'))}\n`);
  const npx = spawn('npm', ['exec', '--offline', '--', 'gluon-h4l', 'run', '--config', config, '--data-dir', data, '--scheduler', address!,
    '--out', path.join(tmp, 'out'), '--worker-timeout', '600'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const left: number[] = [];
  t.teardown(() => left.forEach((p) => { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }));
  const npxExited = new Promise((resolve) => npx.on('exit', resolve));
  await printed(npx, /^waiting for workers: /m, 'npx gluon-h4l run');
  const procs = descendants(npx.pid!);
  left.push(...procs);
  t.ok(procs.length >= 1, `npm runs gluon-h4l (${procs.length} processes below npm)`);
  npx.kill('SIGTERM');
  await npxExited;
  for (let i = 0; i < 1200 && procs.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  t.same(procs.filter(alive), [], 'no process that npm started is left running (120 s bound)');
});
