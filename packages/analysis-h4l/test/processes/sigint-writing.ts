/**
 * Ctrl-C while `gluon-h4l run` writes its outputs (every chunk done): the run says so, finishes
 * the outputs and exits 130. Before, the chunks' Ctrl-C listener was gone by then and the signal
 * ended the process: nothing said, nothing written, the whole run's work lost (seen on a real
 * batch run interrupted just after its progress bar reached the end).
 *
 * The run is held in its writing phase without a hook: its entry cache is a named pipe, which the
 * run reads at the start, writes once the entries are counted, reads again as it starts writing
 * its outputs, and writes once more with the inputs' checksums. The test plays the other end, so
 * it knows the run is writing when the run opens the pipe for the second read.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { writingInterruptedLine } from '../../src/app.js';
import { CLI, cliSandbox, readJson } from '../cli-sandbox.js';
import { printed } from '../sigint-run.js';

const { tmp } = cliSandbox(t, 'gluon-h4l-sigint-writing-');
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] }));

// SIGHUP too (a closed terminal): it ended the process by the signal there, the outputs cut short.
for (const [sig, code, what] of [['SIGINT', 130, 'Ctrl-C'], ['SIGHUP', 129, 'SIGHUP']] as const) t.test(`${what} while the outputs are written: said, the outputs finished, exit ${code}`, async (t) => {
  const cache = path.join(tmp, `entry-cache-${sig}.fifo`);
  execFileSync('mkfifo', [cache]);
  const out = path.join(tmp, `out-${sig}`);
  const config = path.join(tmp, `config-${sig}.yaml`);
  await writeFile(config, `entry_cache: ${JSON.stringify(cache)}\n`);
  const p = spawn(process.execPath, [CLI, 'run', '--config', config, '--data-dir', data, '--n-workers', '0', '--chunk-size', '100', '--out', out],
    { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('close', (code, signal) => resolve([code, signal])));
  let stdout = '';
  let stderrText = '';
  p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  p.stderr.on('data', (b: Buffer) => { stderrText += b.toString(); });
  const said = printed(p.stderr, new RegExp(`interrupted \\(${sig}\\) while writing[^\\n]*\\n`), 'the interrupted-while-writing line');
  said.catch(() => {}); // awaited below unless the run died first

  // Each step on the pipe waits for the run; a run that ended instead fails the test, naming it.
  const orEnded = <T>(step: Promise<T>, what: string) => Promise.race([step, exited.then((e): never => {
    throw new Error(`the run ended (${e.join(', ')}) before ${what}: ${stderrText}`);
  })]);
  await orEnded(writeFile(cache, '{}'), 'its first read of the entry cache'); // an empty cache
  const counted = await orEnded(readFile(cache, 'utf8'), 'its first write of the entry cache'); // the entries it counted
  // Resolves once the run opens the pipe to read it again: every chunk is done, it is writing.
  const pipe = await orEnded(open(cache, 'w'), 'its second read of the entry cache');
  t.match(stdout, /^gluon-h4l: selection notebook, /m, 'the run started its chunks');
  p.kill(sig);
  const stderr = await orEnded(said, `saying anything of the ${what}`);
  t.match(stderr, `${writingInterruptedLine(out, 'gluon-h4l run', sig)}\n`);
  // Let the run go on: its second read, then its write of the inputs' checksums.
  await pipe.writeFile(counted);
  await pipe.close();
  const withDigests = JSON.parse(await orEnded(readFile(cache, 'utf8'), 'its write of the checksums')) as Record<string, { sha256?: string }>;
  t.ok(Object.values(withDigests).every((v) => typeof v.sha256 === 'string'), 'the inputs were checksummed');
  t.same(await exited, [code, null], `exit ${code} once the outputs are written`);
  for (const f of ['histograms.json', 'run.json', 'cutflow.csv', 'histograms.root', 'm4l.svg', 'm4l.png']) t.ok(existsSync(path.join(out, f)), `${f} written`);
  t.match(readJson(path.join(out, 'run.json')), { finished: String, files: [{ sha256: String }] }, 'run.json is whole');
  t.match(stdout, `outputs: ${out} (`, 'the run said where its outputs are');
});
