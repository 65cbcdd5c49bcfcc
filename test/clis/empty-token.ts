import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, LocalCluster } from '@gluon/client';
import { Scheduler } from '@gluon/scheduler';
import { GluonWorker } from '@gluon/worker';
import { SlurmCluster, SSHCluster } from '@gluon/deploy';

/**
 * GLUON_TOKEN set but empty (`GLUON_TOKEN= cmd`, or `GLUON_TOKEN=$TOKEN` with TOKEN unset) was
 * read as "no token": gluon-scheduler started without authentication, and workers and clients
 * connected (or were refused far from the cause). Every CLI and API that reads it now refuses it
 * at start, naming the variable; so do an empty or blank `--token`, token file or `token` option.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (pkg: string, name: string) => join(repo, 'packages', pkg, 'bin', `${name}.js`);
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
delete baseEnv.GLUON_TOKEN;

const work = mkdtempSync(join(tmpdir(), 'gluon-empty-token-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const live = new Set<ChildProcess>();
t.teardown(() => { for (const c of live) c.kill('SIGKILL'); });

/**
 * Runs a CLI until it exits, or until it prints `started` (then it is killed and reported as
 * 'started': it ran, which is the defect). Bounded at 120 s.
 */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, started = /^scheduler at /m): Promise<{ code: number | 'started'; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    let ran = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${file} ${args.join(' ')}: no exit within 120 s; it printed:\n${out}`)); }, 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!ran && started.test(out)) { ran = true; child.kill('SIGKILL'); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, sig) => { clearTimeout(timer); live.delete(child); resolve({ code: ran ? 'started' : code ?? Number(sig), out }); });
  });
}

// A scheduler that requires a token, for the CLIs and APIs that connect to one.
const sched = spawn(process.execPath, [bin('scheduler', 'gluon-scheduler'), '--port', '0', '--no-dashboard'], { env: { ...baseEnv, GLUON_TOKEN: 'sesame-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
live.add(sched);
let schedOut = '';
const address = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no scheduler address after 120 s: ${schedOut}`)), 120_000);
  sched.stdout.on('data', (d) => {
    schedOut += d;
    const m = /^scheduler at (ws:\/\/\S+)$/m.exec(schedOut);
    if (m) { clearTimeout(timer); resolve(m[1]!); }
  });
  sched.on('exit', (c) => reject(new Error(`scheduler exited ${c}: ${schedOut}`)));
});
const emptyData = mkdtempSync(join(work, 'data-'));

const EMPTY = /GLUON_TOKEN is set but empty; unset it to run without a token, or set it to the cluster's token/;
const BLANK = /GLUON_TOKEN is set but holds only whitespace \(" \\t"\); unset it to run without a token/;

const cases: [string, string, string[]][] = [
  ['gluon-scheduler', bin('scheduler', 'gluon-scheduler'), ['--port', '0', '--no-dashboard']],
  ['gluon-worker', bin('worker', 'gluon-worker'), [address]],
  // Refused before the batch system's commands are looked for, and before a scheduler starts.
  ['gluon-cluster slurm', bin('deploy', 'gluon-cluster'), ['slurm', '--jobs', '0', '--host', '127.0.0.1']],
  ['gluon-cluster pbs --print-job-script', bin('deploy', 'gluon-cluster'), ['pbs', '--print-job-script']],
  ['gluon-h4l run', bin('analysis-h4l', 'gluon-h4l'), ['run', '--no-config', '--scheduler', address, '--data-dir', emptyData, '--out', join(work, 'h4l')]],
  ['gluon-finalstates', bin('analysis-finalstates', 'gluon-finalstates'), ['--scheduler', address, '--data-dir', emptyData, '--base-output-dir', join(work, 'fs')]],
];

for (const [name, file, args] of cases) {
  t.test(`${name}: an empty or blank GLUON_TOKEN is refused at start (exit 2), nothing runs`, async (t) => {
    const env = { ...baseEnv, PATH: dirname(process.execPath) };
    const empty = await run(file, args, { ...env, GLUON_TOKEN: '' });
    t.equal(empty.code, 2, empty.out);
    t.match(empty.out, EMPTY);
    t.match(empty.out, new RegExp(`^${name.split(' ')[0]}\\b`, 'm'), 'the program says it is its own refusal');
    const blank = await run(file, args, { ...env, GLUON_TOKEN: ' \t' });
    t.equal(blank.code, 2, blank.out);
    t.match(blank.out, BLANK);
  });
}

t.test('gluon-scheduler: an empty or blank --token and a blank --token-file are refused too', async (t) => {
  const file = bin('scheduler', 'gluon-scheduler');
  for (const [tok, re] of [['', /--token is empty; leave it out to run without a token/], ['  ', /--token is only whitespace; leave it out/]] as const) {
    const r = await run(file, ['--port', '0', '--no-dashboard', '--token', tok], baseEnv);
    t.equal(r.code, 2, r.out);
    t.match(r.out, re);
  }
  const blankFile = join(work, 'blank-token');
  writeFileSync(blankFile, ' \n\t\n', { mode: 0o600 });
  const r = await run(file, ['--port', '0', '--no-dashboard', '--token-file', blankFile], baseEnv);
  // A file holding the wrong thing is a start failure, not a usage error (04573b3): exit 1, no --help pointer.
  t.equal(r.code, 1, r.out);
  t.notMatch(r.out, /--help/);
  t.match(r.out, /--token-file \S+blank-token is empty \(only whitespace\); put the cluster's token in it/);
  // A given --token-file wins over GLUON_TOKEN, so an empty GLUON_TOKEN beside it is not read.
  const good = join(work, 'good-token');
  writeFileSync(good, 'sesame\n', { mode: 0o600 });
  const withFile = await run(file, ['--port', '0', '--no-dashboard', '--token-file', good], { ...baseEnv, GLUON_TOKEN: '' });
  t.equal(withFile.code, 'started', withFile.out);
});

/** Resolves with the error `p` rejects with; a `p` that resolves is closed (it ran: the defect) and fails the test. */
async function refusal(t: Test, p: Promise<{ close(): Promise<unknown> }>, re: RegExp, what: string): Promise<void> {
  try {
    const ran = await p;
    await ran.close();
    t.fail(`${what}: started`);
  } catch (err) {
    t.match((err as Error).message, re, what);
  }
}

t.test('the APIs refuse an empty or blank token option, and an empty GLUON_TOKEN where they read it', async (t) => {
  const saved = process.env.GLUON_TOKEN;
  t.teardown(() => { if (saved === undefined) delete process.env.GLUON_TOKEN; else process.env.GLUON_TOKEN = saved; });
  delete process.env.GLUON_TOKEN;
  await refusal(t, Client.connect(address, { token: '' }), /^Client\.connect: token is empty; leave it out to run without a token/, 'Client.connect token ""');
  await refusal(t, Client.connect(address, { token: ' ' }), /^Client\.connect: token is only whitespace \(" "\)/, 'Client.connect token " "');
  await refusal(t, Scheduler.start({ port: 0, dashboard: false, token: '' }), /^Scheduler\.start: token is empty/, 'Scheduler.start');
  t.throws(() => new GluonWorker({ scheduler: address, token: '' }), { message: /^GluonWorker: token is empty/ }, 'GluonWorker');
  await refusal(t, LocalCluster.start({ nWorkers: 0, token: '' }), /^LocalCluster\.start: token is empty/, 'LocalCluster.start');
  await refusal(t, SlurmCluster.start({ host: '127.0.0.1', token: '' }), /^SlurmCluster\.start: token is empty/, 'SlurmCluster.start');
  await refusal(t, SSHCluster.start({ hosts: [], token: '' }), /^SSHCluster\.start: token is empty/, 'SSHCluster.start');
  process.env.GLUON_TOKEN = '';
  await refusal(t, Client.connect(address), /^Client\.connect: GLUON_TOKEN is set but empty; unset it/, 'Client.connect, GLUON_TOKEN ""');
  await refusal(t, SlurmCluster.start({ host: '127.0.0.1', scheduler: address }), /^SlurmCluster\.start: GLUON_TOKEN is set but empty/, 'SlurmCluster.start attached, GLUON_TOKEN ""');
});
