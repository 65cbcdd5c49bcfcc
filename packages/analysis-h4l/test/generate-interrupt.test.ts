/**
 * `generate` (gluon-h4l's and gluon-finalstates', one code) stopped by Ctrl-C (SIGINT) or
 * SIGTERM: it says what it removed, exits 130 (143) and leaves the folder as it was. It died by
 * the signal, saying nothing, and left the files it had begun (0 bytes or cut) beside whole ones
 * and no manifest.json: a run then took the cut ones for bad input and the whole ones for real
 * ATLAS data (a dataset is synthetic by its manifest). With --threads 1, and in
 * gluon-finalstates always, the signal was not even seen until every file was written (minutes
 * at scale 20): the real CLI is spawned, the signal sent on its first progress line (the other
 * files still to come) and its exit awaited, bounded far below what writing the rest would take.
 * Killed outright (kill -9), it leaves only `.partial` files, which no run reads.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printed } from './sigint-run.js';
import { snapshot } from './dir-snapshot.js';

const H4L = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const FINALSTATES = fileURLToPath(new URL('../../analysis-finalstates/dist/cli.js', import.meta.url));
/** How long an exit after the signal may take before the test gives up: writing the rest of a scale-20 dataset takes minutes. */
const EXIT_BOUND_S = 60;

/** `node cli generate ...args --out out`, its output collected, and a promise of how it ended (stdio closed). */
function start(t: Test, cli: string, args: string[], out: string) {
  const p = spawn(process.execPath, [cli, 'generate', ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  let stderr = '', stdout = '';
  p.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  p.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
  const ended = new Promise<{ exit: [number | null, NodeJS.Signals | null]; stderr: string; stdout: string }>((resolve) =>
    p.on('close', (code, signal) => resolve({ exit: [code, signal], stderr, stdout })));
  // The first file said written: the generator is under way, the other files still to come.
  const firstFile = printed(p.stdout!, /^\S+\.4lep\.root: [\d,]+ events?/m, 'first progress line');
  firstFile.catch(() => {}); // awaited where the test needs it; the stream ends without it when the CLI fails
  return { p, ended, firstFile };
}

/** `node ...args` in `cwd`: its exit code and its stdout and stderr together. */
function ran(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  for (const s of [p.stdout!, p.stderr!]) s.on('data', (b: Buffer) => { out += b.toString(); });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, out })));
}

/** `ended`, or a rejection naming what was awaited once `seconds` have passed since the signal. */
async function exitedWithin<T>(p: ChildProcess, ended: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pid ${p.pid} had not exited ${seconds} s after the signal`)), seconds * 1000);
  });
  try { return await Promise.race([ended, late]); } finally { clearTimeout(timer); }
}

// Two subtests at a time: each generates into a directory of its own and waits on its own
// process's lines and exit; one after another the file took the sum of the six.
t.jobs = 2;

const CASES: { command: string; cli: string; args: string[]; signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'; code: number }[] = [
  // One thread writing in the plan's order: data_A (780 events) is said at once, the rest to come.
  { command: 'gluon-h4l generate', cli: H4L, args: ['--threads', '1', '--scale', '20'], signal: 'SIGINT', code: 130 },
  // No --threads: one thread, the same order.
  { command: 'gluon-finalstates generate', cli: FINALSTATES, args: ['--scale', '20'], signal: 'SIGINT', code: 130 },
  // Two threads, largest first: the first line is VBF's (95,563 events), llll (277,140) still being written.
  { command: 'gluon-h4l generate', cli: H4L, args: ['--threads', '2', '--scale', '0.5'], signal: 'SIGTERM', code: 143 },
  // Its terminal closed or its ssh connection dropped: it died by the signal, leaving the .partial files and the lock.
  { command: 'gluon-h4l generate', cli: H4L, args: ['--threads', '1', '--scale', '20'], signal: 'SIGHUP', code: 129 },
  { command: 'gluon-finalstates generate', cli: FINALSTATES, args: ['--scale', '20'], signal: 'SIGHUP', code: 129 },
];

for (const c of CASES) {
  t.test(`${c.command} ${c.args.join(' ')}: ${c.signal} after the first file`, async (t) => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'h4l-gen-signal-'));
    t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
    const out = path.join(tmp, 'gen');
    mkdirSync(out);
    writeFileSync(path.join(out, 'notes.txt'), 'mine'); // not the generator's: left alone
    const { p, ended, firstFile } = start(t, c.cli, c.args, out);
    await firstFile;
    const sent = performance.now();
    p.kill(c.signal);
    const { exit, stderr } = await exitedWithin(p, ended, EXIT_BOUND_S);
    t.comment(`exited ${Math.round(performance.now() - sent)} ms after the ${c.signal}`);
    t.same(exit, [c.code, null], `exit ${c.code}, not death by the signal`);
    const partial = String.raw`(Data|MC)/\S+\.4lep\.root\.partial`;
    t.match(stderr, new RegExp(`^${c.command}: interrupted \\(${c.signal}\\) after [1-9]\\d* of 12 files; `
      + `removed what it had written \\(kept as \\.partial until the whole dataset is\\): [1-9]\\d* files? \\(${partial}(, ${partial})*(, …)?\\) `
      + `and the folders? it had made \\(((Data|MC)/(, )?)+\\); nothing of it is left, ${out} is as it was before; run generate again for the dataset\\n$`));
    t.same(snapshot(out), { 'notes.txt': snapshot(tmp)['gen/notes.txt'] }, 'no file or folder of the dataset left; the user\'s file kept');
  });
}

t.test('killed outright (SIGKILL) it leaves only .partial files, which no run reads and the next generate removes, naming them', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'h4l-gen-kill-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const out = path.join(tmp, 'gen');
  const killed = start(t, H4L, ['--threads', '1', '--scale', '20'], out);
  await killed.firstFile;
  killed.p.kill('SIGKILL');
  t.same((await exitedWithin(killed.p, killed.ended, EXIT_BOUND_S)).exit, [null, 'SIGKILL']);
  const left = Object.keys(snapshot(out)).filter((f) => !f.endsWith('/'));
  t.ok(left.length > 0, `it had begun files: ${left.join(', ')}`);
  t.same(left.filter((f) => !f.endsWith('.root.partial') && f !== '.generate.lock'), [], 'no .root file (which a run would read) and no manifest.json');
  t.ok(left.includes('.generate.lock'), 'its lock is left (dataset-lock.ts): the next generate takes it over, its holder gone');
  // Never read as data: neither analysis finds an input file among them.
  const h4lDry = await ran([H4L, 'run', '--no-config', '--data-dir', out, '--n-workers', '0', '--dry-run'], tmp);
  t.equal(h4lDry.code, 1, 'gluon-h4l\'s dry run finds nothing to run');
  t.match(h4lDry.out, /the run would fail: no input files for selection notebook/);
  const fsDry = await ran([FINALSTATES, '--data-dir', out, '--dry-run'], tmp);
  t.equal(fsDry.code, 1, 'gluon-finalstates\' dry run finds nothing to run');
  t.match(fsDry.out, /problem: no \*\.root files under/);
  for (const r of [h4lDry, fsDry]) t.notMatch(r.out, /\.partial/, 'no .partial file is listed as an input');
  const again = start(t, H4L, ['--threads', '1', '--scale', '0.01'], out);
  const second = await again.ended;
  t.same(second.exit, [0, null], 'generate again');
  const partials = left.filter((f) => f.endsWith('.partial')).sort();
  const said = new RegExp(`^removed (\\d+) \\.partial files? left in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} by a generate stopped outright \\(kill -9, a crash; no run reads them\\): (.*)$`, 'm').exec(second.stdout);
  t.ok(said, `the next generate names what it removed: ${second.stdout.split('\n')[0]}`);
  t.equal(Number(said?.[1]), partials.length, 'all of them');
  const named = (said?.[2] ?? '').replace(/, …$/, '').split(', ');
  t.ok(named.every((f) => partials.includes(f)), `each named is one of them: ${named.join(', ')}`);
  const files = readdirSync(out, { recursive: true }).map(String);
  t.same(files.filter((f) => f.endsWith('.partial') || f === '.generate.lock'), [], 'the .partial files were written over, the lock taken over and let go');
  t.ok(files.includes('manifest.json') && files.includes(path.join('Data', 'data_A.4lep.root')), 'the dataset is whole');
});
