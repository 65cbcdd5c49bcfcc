import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@gluon/client';

/**
 * A scheduler that requires a token refuses a peer that sent none; each connecting CLI then says
 * how *it* takes a token. gluon-h4l and gluon-finalstates have no --token flag: their message must
 * not send the user to one.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (pkg: string, name: string) => join(repo, 'packages', pkg, 'bin', `${name}.js`);
const env = { ...process.env };
delete env.GLUON_TOKEN;

const work = mkdtempSync(join(tmpdir(), 'gluon-token-msg-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const sched = spawn(process.execPath, [bin('scheduler', 'gluon-scheduler'), '--port', '0', '--no-dashboard'], { env: { ...env, GLUON_TOKEN: 'sesame-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
t.teardown(() => { sched.kill('SIGKILL'); });
let out = '';
sched.stdout.on('data', (d) => (out += d));
const address = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no scheduler address after 120 s: ${out}`)), 120_000);
  sched.stdout.on('data', () => {
    const m = /^scheduler at (ws:\/\/\S+)$/m.exec(out);
    if (m) { clearTimeout(timer); resolve(m[1]!); }
  });
  sched.on('exit', (c) => reject(new Error(`scheduler exited ${c}: ${out}`)));
});

const data = join(work, 'data');
spawnSync(process.execPath, [bin('analysis-h4l', 'gluon-h4l'), 'generate', '--out', data, '--scale', '0.01', '--seed', '3'], { stdio: 'ignore', timeout: 300_000 });

const runCli = (file: string, args: string[]) => spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 120_000, cwd: work, env });

t.test('gluon-worker names its own ways: GLUON_TOKEN, --token-file, --token', async (t) => {
  const r = runCli(bin('worker', 'gluon-worker'), [address]);
  t.not(r.status, 0);
  t.match(r.stderr, /missing token: scheduler requires a token/);
  t.match(r.stderr, /GLUON_TOKEN/);
  t.match(r.stderr, /--token-file PATH/);
});

t.test('gluon-h4l run says to set GLUON_TOKEN and names no flag it does not have', async (t) => {
  const r = runCli(bin('analysis-h4l', 'gluon-h4l'), ['run', '--no-config', '--scheduler', address, '--data-dir', data, '--out', join(work, 'h4l')]);
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, /missing token: scheduler requires a token/);
  t.match(r.stderr, /GLUON_TOKEN/);
  t.notMatch(r.stderr, /--token/, 'no --token: gluon-h4l has no such flag');
});

t.test('gluon-finalstates says to set GLUON_TOKEN and names no flag it does not have', async (t) => {
  const r = runCli(bin('analysis-finalstates', 'gluon-finalstates'), ['--scheduler', address, '--data-dir', data, '--base-output-dir', join(work, 'fs')]);
  t.not(r.status, 0, r.stderr);
  t.match(r.stderr, /missing token: scheduler requires a token/);
  t.match(r.stderr, /GLUON_TOKEN/);
  t.notMatch(r.stderr, /--token/, 'no --token: gluon-finalstates has no such flag');
});

t.test('Client.connect names its token option', async (t) => {
  const saved = process.env.GLUON_TOKEN;
  delete process.env.GLUON_TOKEN;
  t.teardown(() => { if (saved !== undefined) process.env.GLUON_TOKEN = saved; });
  await t.rejects(Client.connect(address), { message: /missing token: scheduler requires a token.*\{ token \}.*GLUON_TOKEN/ });
  await t.rejects(Client.connect(address, { token: 'wrong' }), { message: /bad token.*\{ token \}/ });
});
