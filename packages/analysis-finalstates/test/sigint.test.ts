/**
 * Ctrl-C (SIGINT) during a gluon-finalstates run: as gluon-h4l run (interrupt.ts, shared), it says
 * it was interrupted and how far it had got, stops the run, closes what it started and exits 130.
 * It printed nothing and died by the signal, leaving its tasks on the scheduler for the session
 * grace. A real CLI and a real scheduler with no worker: the signal is sent on the run's "waiting
 * for workers" line, when no chunk can be done yet and the line's figures are known.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';
import { generateDataset } from '@gluon/analysis-h4l/generate';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

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
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-sigint-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B'] });
  const cluster = await LocalCluster.start({ nWorkers: 0 });
  t.teardown(() => cluster.close());
  const runDir = path.join(tmp, 'run');
  const p = spawn(process.execPath, [CLI, '--data-dir', data, '--scheduler', cluster.schedulerAddress, '--chunk-size', '100', '--run-dir', runDir],
    { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<[number | null, string | null]>((resolve) => p.on('exit', (code, signal) => resolve([code, signal])));
  const stderr = printed(p.stderr, /interrupted \(SIGINT\)[^\n]*\n/, 'interrupted line');
  const stdout = await printed(p.stdout, /waiting for workers/, '"waiting for workers" line');
  const start = /gluon-finalstates: (\d+) files?, ([\d,]+) events? in (\d+) chunks?/.exec(stdout);
  t.ok(start, `the run's first line gives its totals: ${stdout.split('\n')[0]}`);
  const [, files, events, chunks] = start!;
  p.kill('SIGINT');
  t.same(await exited, [130, null], 'exit code 130, not death by the signal');
  t.match(await stderr, `gluon-finalstates: interrupted (SIGINT) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${Number(events).toLocaleString('en-US')} events); closing the cluster, no outputs written`);
  t.notOk(existsSync(path.join(runDir, 'run.json')), 'no outputs written');
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
