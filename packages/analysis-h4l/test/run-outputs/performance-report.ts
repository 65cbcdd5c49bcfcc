/**
 * `gluon-h4l run --performance-report FILE` as a user runs it: a LocalCluster run over a small
 * generated dataset leaves one HTML file whose recording holds the run's chunks and merges and
 * its m4l histogram; a report that cannot be made is refused before anything runs (exit 2).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { cliSandbox, readJson } from '../cli-sandbox.js';

t.test('--performance-report: refused before anything runs when it cannot be made (exit 2)', async (t) => {
  const { cliRan } = cliSandbox(t, 'h4l-report-bad-');
  const serial = await cliRan(['run', '--no-config', '--data-dir', '.', '--n-workers', '0', '--performance-report', 'r.html']);
  t.equal(serial.code, 2);
  t.match(serial.stderr, /--performance-report r\.html records a cluster's dashboard, and an in-process run \(--n-workers 0\) has none/);
  const noDash = await cliRan(['run', '--no-config', '--data-dir', '.', '--no-dashboard', '--performance-report', 'r.html']);
  t.equal(noDash.code, 2);
  t.match(noDash.stderr, /--performance-report r\.html records the dashboard's feed: it cannot be combined with --no-dashboard$/m);
  const help = await cliRan(['run', '--help']);
  t.match(help.stdout, /--performance-report FILE\s+write a self-contained HTML report/);
});

t.test('--performance-report FILE: one HTML file with the run in it', async (t) => {
  const { tmp, cli } = cliSandbox(t, 'h4l-report-');
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.02, seed: 7 });
  const out = path.join(tmp, 'out');
  const { stdout } = await cli(['run', '--no-config', '--data-dir', data, '--n-workers', '2', '--chunk-size', '2000', '--out', out, '--performance-report', 'report.html']);
  t.match(stdout, /performance report: report\.html \(one HTML file; opens offline\)/);
  const chunks = readJson(path.join(out, 'run.json')).chunks as number;
  const html = readFileSync(path.join(tmp, 'report.html'), 'utf8');
  const rec = JSON.parse(/<script type="application\/json" id="gluon-recording">([\s\S]*?)<\/script>/.exec(html)![1]!);
  t.match(rec.title, /^gluon-h4l notebook: [\d,]+ chunks? of [\d,]+ files?$/);
  const bars = rec.messages.flatMap((m: { stream?: unknown[][] }) => m.stream ?? []).filter((b: unknown[]) => b[5] === 0);
  t.equal(bars.filter((b: unknown[]) => b[2] === 'h4l-chunk').length, chunks, `every chunk in the task stream (${chunks})`);
  t.ok(bars.some((b: unknown[]) => b[2] === 'h4l-merge'), 'and the merges');
  const topics = rec.messages.flatMap((m: { topics?: object }) => Object.keys(m.topics ?? {}));
  t.ok(topics.includes('h4l/m4l'), 'the published m4l histogram');
});

// The run checks FILE before it starts as it checks --out: writable, or creatable with its
// missing directories. Until 7 December 2026 the check passed (and --dry-run said the run was
// fine), and then client.performanceReport, which makes no directory, refused it after the
// cluster had started: `gluon-h4l run: performanceReport: cannot write reports/2026/r.html: its
// directory reports/2026 does not exist`, exit 1, not naming the flag.
t.test('--performance-report in a directory that does not exist yet: made, as --out is', async (t) => {
  const { tmp, cliRan } = cliSandbox(t, 'h4l-report-dir-');
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.02, seed: 7 });
  const report = path.join('reports', '2026', 'r.html');
  const dry = await cliRan(['run', '--no-config', '--data-dir', data, '--n-workers', '1', '--out', 'out', '--performance-report', report, '--dry-run']);
  t.equal(dry.code, 0, 'the dry run finds nothing wrong');
  const ran = await cliRan(['run', '--no-config', '--data-dir', data, '--n-workers', '1', '--out', 'out', '--performance-report', report]);
  t.equal(ran.stderr.match(/performanceReport|cannot write/g), null, `no error: ${ran.stderr}`);
  t.equal(ran.code, 0, 'and so the run does it');
  t.match(ran.stdout, `performance report: ${report} (one HTML file; opens offline)`);
  t.match(readFileSync(path.join(tmp, report), 'utf8'), /id="gluon-recording"/, 'the report, in the directory made for it');
  t.ok(readJson(path.join(tmp, 'out', 'run.json')).chunks > 0, 'and the outputs');
});
