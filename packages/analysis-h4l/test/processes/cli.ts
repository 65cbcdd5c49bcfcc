/** The gluon-h4l CLI as a user runs it: outputs directory, schema, re-plot, dry run, bad flags. */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, readFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { opendataDir } from '../data-path.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const { dir: data, looked } = opendataDir();
const tmp = mkdtempSync(path.join(tmpdir(), 'h4l-cli-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => run(process.execPath, [CLI, ...args], { cwd: tmp, timeout: 120_000 });

t.test('bad config is rejected before anything runs, naming the key (exit 2)', async (t) => {
  const cfg = path.join(tmp, 'bad.yaml');
  writeFileSync(cfg, 'chunk_size: many\n');
  const e = await cli(['run', '--config', cfg]).then(() => undefined, (x) => x);
  t.equal(e?.code, 2);
  t.match(e?.stderr, /bad\.yaml: chunk_size must be an integer ≥ 1, got "many"/);
  const e2 = await cli(['run', '--selection', 'best']).then(() => undefined, (x) => x);
  t.match(e2?.stderr, /--selection must be one of notebook, notebook-pt, framework/);
  const e3 = await cli(['frobnicate']).then(() => undefined, (x) => x);
  t.equal(e3?.code, 2);
});

t.test('generate says each file\'s events with the noun agreeing', async (t) => {
  // At scale 0.01 data_A gets one event: it said '1 events'.
  const { stdout, stderr } = await cli(['generate', '--out', path.join(tmp, 'gen'), '--scale', '0.01', '--seed', '1', '--threads', '1']);
  const said = stdout + stderr;
  t.match(said, /^Data\/data_A\.4lep\.root: 1 event, \d+\.\d\d MB$/m);
  t.match(said, /^Data\/data_D\.4lep\.root: \d+ events, /m);
});

if (!data) {
  t.skip(`shared data not found at ${looked}`, () => {});
} else {
  t.test('run --n-workers 0 writes every output; plot re-draws from the JSON', async (t) => {
    const out = path.join(tmp, 'run-a');
    const { stdout } = await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', out, '--chunk-size', '100']);
    t.match(stdout, /data_D\s+400 in\s+248 selected/);
    // The summary's rate with thousands separators, as the rest of the output has them.
    t.match(stdout, /^832 events in the outputs; 832 read in \d+\.\d\d s \(\d{1,3}(,\d{3})* events\/s; in-process\)$/m);
    for (const f of ['histograms.json', 'histograms.root', 'cutflow.md', 'cutflow.csv', 'm4l.svg', 'm4l.png', 'run.json']) t.ok(existsSync(path.join(out, f)), f);
    const j = JSON.parse(readFileSync(path.join(out, 'histograms.json'), 'utf8'));
    t.equal(j.schema, 'gluon-h4l/histograms@1');
    const h = j.groups.data.histograms.m4l;
    t.match(h, { name: 'm4l', nbins: 34, lo: 80, hi: 250, underflow: 0, overflow: 0, entries: 371 });
    t.equal(h.sumw.join(' '), '6 28 39 8 3 6 7 8 24 12 10 8 9 11 7 6 11 6 7 5 15 16 8 15 11 12 10 9 6 13 8 8 10 9');
    t.same(j.samples.data_B.cutflow.map((r: { raw: number }) => r.raw), [156, 108, 86]);
    t.match(j.samples.data_B.cutflow[2], { cut: 'lepton charge sum 0', raw: 86, weighted: 86 });
    const runJson = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    t.match(runJson, { mode: 'serial', events: 832, config: { selection: 'notebook', n_workers: 0 } });
    t.equal(runJson.files.length, 4);
    t.ok(runJson.eventsPerSecond > 0);
    t.match(readFileSync(path.join(out, 'cutflow.csv'), 'utf8'), /sample,data_A,"lepton charge sum 0",27,27/);
    const svg = readFileSync(path.join(out, 'm4l.svg'), 'utf8');
    t.match(svg, /ATLAS Open Data/);
    t.match(svg, /Events \/ 5\.0 GeV/);
    t.equal((svg.match(/<circle /g) ?? []).length, 34 + 1, 'one marker per bin plus the legend');
    const { openFile } = (await import('jsroot')) as unknown as { openFile(p: string): Promise<{ readObject(n: string): Promise<{ _typename: string; fArray: number[]; fSumw2: number[]; fEntries: number; fXaxis: { fNbins: number; fXmin: number; fXmax: number } }> }> };
    const rf = await openFile(path.join(out, 'histograms.root'));
    const hA = await rf.readObject('data_A_m4l');
    t.equal(hA._typename, 'TH1D');
    t.match(hA.fXaxis, { fNbins: 34, fXmin: 80, fXmax: 250 });
    t.equal(Array.from(hA.fArray).slice(1, 35).join(' '), '1 3 4 0 0 1 0 0 1 1 0 1 1 0 0 0 0 0 0 0 0 1 0 0 0 2 0 1 0 0 0 1 0 1', 'jsroot reads data_A m4l back');
    const hG = await rf.readObject('group_data_m4l');
    t.equal(Array.from(hG.fArray).reduce((a, b) => a + b, 0), 371);
    t.equal(hG.fEntries, 371);
    const png = path.join(out, 'm4l.png');
    const before = statSync(png).mtimeMs;
    rmSync(png);
    await cli(['plot', '--run-dir', out]);
    t.ok(existsSync(png) && statSync(png).size > 10_000, `re-drawn (was ${before})`);
  });

  t.test('framework selection: the 13 histograms in the outputs', async (t) => {
    const out = path.join(tmp, 'run-b');
    await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', out, '--selection', 'framework']);
    const j = JSON.parse(readFileSync(path.join(out, 'histograms.json'), 'utf8'));
    t.equal(Object.keys(j.samples.data_A.histograms).length, 13);
    t.same(j.samples.data_D.cutflow.map((r: { raw: number }) => r.raw), [400, 400, 198, 180, 168, 158]);
    t.equal(j.groups.data.histograms.hist_fourleptpt.entries, 4 * (18 + 52 + 93 + 158));
  });

  t.test('--dry-run lists files and chunks and runs nothing', async (t) => {
    const { stdout } = await cli(['run', '--data-dir', data, '--dry-run', '--chunk-size', '100', '--max-files', '2']);
    t.match(stdout, /2 files, 4 chunks/, 'data_B in two, data_A (the last 15% of the events) in two smaller ones');
    t.match(stdout, /data_B\s+156 entries/);
    t.notOk(existsSync(path.join(tmp, 'outputs')));
    // The noun agrees with its count ('LocalCluster with 1 workers' before).
    t.match(stdout, /^mode: LocalCluster with 2 workers$/m);
    const one = await cli(['run', '--data-dir', data, '--dry-run', '--max-files', '1', '--n-workers', '1']);
    t.match(one.stdout, /^mode: LocalCluster with 1 worker$/m);
  });
}
