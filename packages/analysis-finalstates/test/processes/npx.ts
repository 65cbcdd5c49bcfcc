/**
 * `npx gluon-finalstates` as a user runs it: npm does not pass SIGTERM on to the command it runs, so
 * the CLI must notice that npm is gone and stop, as gluon-scheduler and gluon-worker do (the
 * README: "Started through npm (npx, npm exec), a CLI stops when npm is stopped"). It did not: a
 * killed npx left gluon-finalstates running, re-parented to init, with its cluster (here waiting
 * for workers of a scheduler that has none, for ever).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { alive, descendants, printed } from '../../../../test/helpers/process-tree.js';

const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const schedulerCli = fileURLToPath(new URL('../../../scheduler/bin/gluon-scheduler.js', import.meta.url));

t.test('SIGTERM to npx gluon-finalstates stops the analysis and every process under it', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'finalstates-npx-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 3, samples: ['data_A'] });
  // A scheduler with no workers: the run waits for workers, and waits until it is stopped.
  const sched = spawn(process.execPath, [schedulerCli, '--port', '0', '--no-dashboard'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { sched.kill('SIGKILL'); });
  const [, address] = await printed(sched, /^scheduler at (ws:\S+)$/m, 'gluon-scheduler');
  // From the checkout, as the README runs its bins (npx finds them in node_modules/.bin).
  const npx = spawn('npm', ['exec', '--offline', '--', 'gluon-finalstates', '--data-dir', data, '--scheduler', address!,
    '--base-output-dir', path.join(tmp, 'out')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const left: number[] = [];
  t.teardown(() => left.forEach((p) => { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }));
  const npxExited = new Promise((resolve) => npx.on('exit', resolve));
  await printed(npx, /^gluon-finalstates: 1 file, [\d,]+ events? in \d+ chunks?, scheduler ws:/m, 'npx gluon-finalstates');
  const procs = descendants(npx.pid!);
  left.push(...procs);
  t.ok(procs.length >= 1, `npm runs gluon-finalstates (${procs.length} processes below npm)`);
  npx.kill('SIGTERM');
  await npxExited;
  for (let i = 0; i < 1200 && procs.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  t.same(procs.filter(alive), [], 'no process that npm started is left running (120 s bound)');
});
