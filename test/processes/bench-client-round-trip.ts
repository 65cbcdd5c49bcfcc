/**
 * bench/client-round-trip.ts against a baseline build of another protocol version: the baseline's
 * client is refused at the handshake by the stand-in scheduler (which speaks this checkout's
 * protocol). The bench exited, but left its stand-in running, and the stand-in held the bench's
 * stderr: whatever read the run's output (a pipeline, a CI log, this test) waited for ever. Now
 * it says the client's version error and stops, the stand-in with it; the stand-in also goes when
 * the bench is killed outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { PROTOCOL_VERSION } from '@gluon/protocol';
import { alive, descendants } from '../helpers/process-tree.js';
import { until } from '../helpers/until.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bench = join(repo, 'bench', 'client-round-trip.ts');

/** Starts the bench (tsx as a loader: one process, so a kill stops the bench itself). */
function startBench(baseline: string, env: Record<string, string> = {}): { child: ChildProcess; out: () => string; closed: Promise<number | string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', bench, `--baseline=${baseline}`], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close' comes once every holder of the output pipes has let go: the bench and its stand-in.
  const closed = new Promise<number | string>((r) => child.on('close', (code, signal) => r(code ?? signal ?? -1)));
  return { child, out: () => out, closed };
}

/** How many established TCP connections process `pid` holds (its fds matched to /proc/net/tcp*). */
function connectedSockets(pid: number): number {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }));
      if (m) inodes.add(m[1]!);
    }
  } catch {
    return 0;
  }
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[] = [];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch { /* no IPv6 */ }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // st 01: ESTABLISHED; the 10th field is the socket's inode.
      if (f[3] === '01' && inodes.has(f[9]!)) n++;
    }
  }
  return n;
}

/** Resolves with `p`, or rejects naming `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

t.test('a baseline of another protocol version: the version error, exit 1, nothing left running', async (t) => {
  // A real build of the client that speaks the protocol before this one: this checkout's client
  // and protocol builds, the protocol's version set one lower, its node_modules taking precedence
  // over the repository's (which the copy sits under, for the other dependencies).
  mkdirSync(join(repo, '.cache'), { recursive: true });
  const other = mkdtempSync(join(repo, '.cache', 'round-trip-baseline-'));
  t.teardown(() => rmSync(other, { recursive: true, force: true }));
  for (const pkg of ['client', 'protocol']) {
    const to = pkg === 'client' ? join(other, 'packages', 'client') : join(other, 'node_modules', '@gluon', 'protocol');
    cpSync(join(repo, 'packages', pkg, 'dist'), join(to, 'dist'), { recursive: true });
    cpSync(join(repo, 'packages', pkg, 'package.json'), join(to, 'package.json'));
  }
  const versionJs = join(other, 'node_modules', '@gluon', 'protocol', 'dist', 'version.js');
  const text = readFileSync(versionJs, 'utf8');
  const older = text.replace(`PROTOCOL_VERSION = ${PROTOCOL_VERSION};`, `PROTOCOL_VERSION = ${PROTOCOL_VERSION - 1};`);
  t.not(older, text, 'the copied build speaks another protocol');
  writeFileSync(versionJs, older);

  const run = startBench(other);
  t.teardown(() => {
    run.child.kill('SIGKILL');
  });
  const code = await within(run.closed, 120_000, () => `the bench's output never closed within 120 s (a process still holds it):\n${run.out()}`);
  t.equal(code, 1, 'exit 1');
  const mismatch = `protocol version mismatch: stand-in scheduler speaks ${PROTOCOL_VERSION}, client speaks ${PROTOCOL_VERSION - 1}`;
  t.match(run.out(), `client-round-trip: the baseline client (${other}) cannot talk to the stand-in scheduler, which speaks this checkout's protocol: Client.connect(ws://127.0.0.1:`, 'says which side failed');
  t.match(run.out(), `): ${mismatch}\n`, "with the client's version error");
  t.notMatch(run.out(), /client CPU per round trip/, 'nothing measured');
});

t.test('the stand-in goes when the bench is killed outright', async (t) => {
  // The same build as baseline, and more blocks than the test waits for: it is killed mid-run.
  const run = startBench(repo, { BLOCKS: '1000000' });
  t.teardown(() => {
    run.child.kill('SIGKILL');
  });
  let standIn: number | undefined;
  // Found by its command line: tsx's esbuild service is a child of the bench too.
  const isStandIn = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--stand-in');
    } catch {
      return false;
    }
  };
  await until(() => (standIn = descendants(run.child.pid!).find(isStandIn)) !== undefined, 'the bench started its stand-in scheduler');
  // Killed before it had printed its address, the stand-in died of the closed pipe anyway: wait
  // until a client is connected to it, so it had printed it, and the bench is at work.
  await until(() => connectedSockets(standIn!) > 0, 'a client connected to the stand-in');
  run.child.kill('SIGKILL');
  await until(() => !alive(standIn!), `the stand-in (pid ${standIn}) exits once the bench is gone`);
  await within(run.closed, 120_000, () => `the output never closed:\n${run.out()}`);
  t.pass('the stand-in exited and the output closed');
});
