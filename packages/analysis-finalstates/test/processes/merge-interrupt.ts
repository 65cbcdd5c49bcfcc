/**
 * Ctrl-C during `--merge-only`: the CLI says it stopped and that the run directory is as it was,
 * exits 130, and the directory is byte for byte what it was (the slices and an earlier merge's
 * outputs). It died by the signal, said nothing, and could leave a cut histograms/finalstates.root
 * and no run.json (merge.ts now writes into a staging directory and moves the files in once whole).
 * The signal is sent while the merge reads a slice's summary that is a named pipe the test holds
 * open without writing: the merge is certainly under way and cannot have finished.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { constants, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { printed } from '../../../analysis-h4l/test/sigint-run.js';
import { CLI, mergedRun, snapshot } from '../merged-run.js';

const hasMkfifo = (() => { try { execFileSync('mkfifo', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();

t.test('Ctrl-C while merging: says so, exits 130, the run directory as it was', { skip: hasMkfifo ? false : 'no mkfifo here' }, async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-merge-sigint-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const runDir = await mergedRun(tmp); // the slices and an earlier merge, to be left as they are
  const before = snapshot(runDir);
  t.ok(before['run.json'] && before['histograms/finalstates.root'], 'the earlier merge is there');
  // Slice 1's summary becomes a named pipe: the merge's read of it waits until the test writes.
  const summary = path.join(runDir, 'histograms', 'finalstates.batch-1-of-2.summary.json');
  renameSync(summary, `${summary}.aside`);
  execFileSync('mkfifo', [summary]);
  const p = spawn(process.execPath, [CLI, '--merge-only', '--run-dir', runDir, '--min-events-per-fs', '3'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('close', (code, signal) => resolve([code, signal])));
  const said = printed(p.stderr, /interrupted \(SIGINT\)[^\n]*\n/, 'interrupted line');
  said.catch(() => {});
  // Opening the pipe for writing returns once the merge has opened it for reading. A merge that
  // ends first (refused, failed) never opens it: the test's open, a libuv thread blocked in
  // open(2), would hold the test process for ever (a CLI given a bad flag here hangs the old test
  // until tap's timeout). It is let go by opening the pipe for reading here, without waiting.
  const opening = open(summary, 'w');
  const writer = await Promise.race([opening, exited.then(async (e) => {
    const reader = await open(summary, constants.O_RDONLY | constants.O_NONBLOCK);
    await (await opening).close();
    await reader.close();
    throw new Error(`the merge ended (${e.join(', ')}) before reading the slices`);
  })]);
  t.teardown(() => writer.close().catch(() => {}));
  p.kill('SIGINT');
  // The merge's read of the pipe holds a thread its exit waits for: the pipe is closed (the read
  // ends) once the merge has said it stopped, or has died.
  const line = await Promise.race([said.catch(() => ''), exited.then(() => '')]);
  await writer.close();
  const exit = await exited;
  t.same(exit, [130, null], 'exit code 130, not death by the signal');
  t.match(line, `gluon-finalstates --merge-only: interrupted (SIGINT) before the merge was whole: ${runDir} is as it was (the slices, and any earlier merge's outputs); run --merge-only again\n`);
  rmSync(summary);
  renameSync(`${summary}.aside`, summary);
  t.same(snapshot(runDir), before, 'every file as it was, and no staging directory left');
  t.notOk(readdirSync(runDir).some((n) => n.startsWith('.merging-')));
  t.ok(existsSync(path.join(runDir, 'run.json')));
});
