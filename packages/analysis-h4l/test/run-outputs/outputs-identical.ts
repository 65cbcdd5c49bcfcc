/**
 * The outputs do not depend on how the run ran: in-process, 1 worker and 2 workers give the
 * same bytes in every file (histograms.root with SOURCE_DATE_EPOCH fixing its creation time;
 * run.json apart from what differs by nature: times, mode, workers). run.json records what ran,
 * and histograms.root carries ROOT's TLatex axis titles.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { cliSandbox } from '../cli-sandbox.js';

const { tmp, cli } = cliSandbox(t, 'h4l-same-');
const data = path.join(tmp, 'data');
const outs: Record<string, string> = {};
const stdouts: Record<string, string> = {};

t.before(async () => {
  // MC with real weights and many chunks, so merge order would show in the last bits.
  await generateDataset({ outDir: data, scale: 0.01, seed: 7 });
  for (const w of ['0', '1', '2']) {
    outs[w] = path.join(tmp, `out-${w}`);
    const r = await cli(['run', '--data-dir', data, '--n-workers', w, '--out', outs[w]!, '--chunk-size', '400', '--no-dashboard'],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    stdouts[w] = r.stdout;
  }
});

/** run.json without what differs between modes by nature. */
function stable(file: string): unknown {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  for (const k of ['started', 'finished', 'timings', 'eventsPerSecond', 'mode', 'workers', 'schedulerAddress', 'dashboardUrl', 'commandLine']) delete j[k];
  j.config.n_workers = j.config.out = null;
  return j;
}

t.test('serial, 1-worker and 2-worker runs write the same bytes', async (t) => {
  const names = readdirSync(outs['0']!).sort();
  t.ok(names.includes('histograms.root') && names.includes('m4l.png') && names.includes('cutflow.csv'));
  for (const w of ['1', '2']) {
    t.same(readdirSync(outs[w]!).sort(), names, `${w} worker(s): the same files`);
    for (const n of names.filter((x) => x !== 'run.json')) {
      const a = readFileSync(path.join(outs['0']!, n)), b = readFileSync(path.join(outs[w]!, n));
      t.ok(a.equals(b), `${n}: serial and ${w} worker(s) byte for byte`);
    }
    t.same(stable(path.join(outs[w]!, 'run.json')), stable(path.join(outs['0']!, 'run.json')), `run.json, times and workers aside (${w})`);
  }
  const j = JSON.parse(readFileSync(path.join(outs['2']!, 'histograms.json'), 'utf8'));
  t.same(Object.keys(j.samples).slice(0, 5), ['data_A', 'data_B', 'data_C', 'data_D', 'Zee'], 'samples in the sample table\'s order');
});

t.test('run.json records what ran', async (t) => {
  const r0 = JSON.parse(readFileSync(path.join(outs['0']!, 'run.json'), 'utf8'));
  const r1 = JSON.parse(readFileSync(path.join(outs['1']!, 'run.json'), 'utf8'));
  const r2 = JSON.parse(readFileSync(path.join(outs['2']!, 'run.json'), 'utf8'));
  t.match(r0, { mode: 'serial', workers: { started: null, seen: [], threadsSeen: 1 } });
  t.match(r1, { mode: 'local-cluster', workers: { started: 1, threadsSeen: 1 } });
  t.equal(r1.workers.seen.length, 1, 'one worker seen');
  t.equal(r2.workers.started, 2);
  t.ok(r2.workers.seen.length >= 1 && r2.workers.seen.length <= 2, `workers seen: ${r2.workers.seen}`);
  t.match(stdouts['2'], new RegExp(`; ${r2.workers.seen.length} workers? and ${r2.workers.threadsSeen} task threads? ran chunks; start-up \\d+\\.\\d\\d s\\)`));
  for (const r of [r1, r2]) {
    t.ok(r.timings.startupMs > 0, 'cluster start-up timed apart');
    t.ok(r.timings.processMs > 0 && r.timings.totalMs >= r.timings.preprocessMs + r.timings.startupMs + r.timings.processMs - 1);
    t.ok(r.schedulerAddress.startsWith('ws://127.0.0.1:'));
  }
  t.equal(r0.timings.startupMs, 0, 'nothing to start in-process');
  t.same(r0.commandLine.slice(2), ['run', '--data-dir', data, '--n-workers', '0', '--out', outs['0'], '--chunk-size', '400', '--no-dashboard']);
  t.equal(r0.cwd, tmp);
  t.ok(r0.code.git === null || /^[0-9a-f]{40}$/.test(r0.code.git.commit), 'git commit of the code, when in a checkout');
  t.equal(r0.files.length, 12);
  for (const f of r0.files) {
    const bytes = readFileSync(f.file);
    t.equal(f.bytes, bytes.length, `${path.basename(f.file)} size`);
    t.equal(f.sha256, createHash('sha256').update(bytes).digest('hex'), `${path.basename(f.file)} checksum`);
  }
});

t.test('histograms.root: axis titles in TLatex', async (t) => {
  const { openFile } = (await import('jsroot')) as unknown as { openFile(p: string): Promise<{ readObject(n: string): Promise<{ fXaxis: { fTitle: string }; fYaxis: { fTitle: string } }> }> };
  const f = await openFile(path.join(outs['0']!, 'histograms.root'));
  const h = await f.readObject('group_Higgs_m4l');
  t.equal(h.fXaxis.fTitle, '4-lepton invariant mass m_{4l} [GeV]');
  t.equal(h.fYaxis.fTitle, 'Events');
});
