/**
 * A scheduler without workers: gluon-finalstates says on the console that it waits for workers
 * (as gluon-h4l does), and runs once one joins. It used to print its first line and then nothing,
 * for ever: the scheduler says `no-workers` only after there were workers, since the analyses were
 * to say it themselves, and this one did not.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';
import { generateDataset } from '@gluon/analysis-h4l/generate';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const pkg = fileURLToPath(new URL('..', import.meta.url));

t.test('no workers: a waiting notice, and the run goes on when a worker joins', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-noworkers-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  // Its workers, added below, import the task module from this package's folder.
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false, cwd: pkg });
  t.teardown(() => cluster.close());
  const addr = cluster.schedulerAddress;
  const p = spawn(process.execPath, [CLI, '--data-dir', data, '--scheduler', addr, '--min-events-per-fs', '1',
    '--base-output-dir', path.join(tmp, 'out')], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  let stdout = '', stderr = '';
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "waiting for workers" line within 120 s; got:\n${stdout}\n${stderr}`)), 120_000);
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (/^waiting for workers/m.test(stdout)) { clearTimeout(timer); resolve(); }
    });
  });
  t.match(stdout, `waiting for workers: the scheduler at ${addr} has no worker connected; `
    + `start workers for it (gluon-worker ${addr}), and the run goes on`);
  await cluster.addWorker();
  t.equal(await exited, 0, `the run ends once a worker joined\n${stderr}`);
  t.match(stdout, /^outputs: /m, 'and writes its outputs');
});
