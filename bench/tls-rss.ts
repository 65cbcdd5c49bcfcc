/**
 * The scheduler's RSS after tasks with a big argument, over TLS and over plain ws (both TCP), in
 * the same run: a scheduler and one worker as CLI processes (as users run them), a client here
 * submitting `--runs` tasks one after another, each with a fresh `--mib` MiB argument
 * (client → scheduler → worker). After each task the client lets the result go and the scheduler
 * is left idle for `--idle-s` seconds (its idle collection and malloc_trim run then); its RSS is
 * read from /proc, and its own memory lines (heap used, external, RSS) are kept. Growth run after
 * run is retained memory; a step up once that stays flat is the allocator's high-water mark.
 * Then the client closes, then the worker leaves: the RSS after each says whose connection held
 * what stayed. `npx tsx bench/tls-rss.ts [--mib 64] [--runs 4] [--idle-s 8] [--modes plain,tls,plain,tls]`
 * (after `npx tsc -b`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, remoteFrom } from '@gluon/client';
import { makeCa, makeCert } from '@gluon/protocol';
import { rssMiB } from './proc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'packages/client/test/fixtures');
const { bigArray, checksum } = await import(pathToFileURL(join(fixtures, 'large.mjs')).href) as typeof import('../packages/client/test/fixtures/large.mjs');
const remote = remoteFrom<typeof import('../packages/client/test/fixtures/large.mjs')>(pathToFileURL(join(fixtures, 'large.mjs')));
const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' }, runs: { type: 'string', default: '4' }, 'idle-s': { type: 'string', default: '8' }, modes: { type: 'string', default: 'plain,tls,plain,tls' } } });
const MiB = 1024 * 1024;
const bytes = Number(values.mib) * MiB;
const runs = Number(values.runs);
const idleMs = Number(values['idle-s']) * 1000;

const dir = mkdtempSync(join(tmpdir(), 'gluon-tls-rss-'));
const ca = await makeCa(dir, 'ca');
const node = await makeCert(dir, ca, 'node', ['127.0.0.1', 'localhost']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(tls: boolean): Promise<{ start: number; after: number[]; clientGone: number; workerGone: number; lines: string[] }> {
  const tlsFlags = tls ? ['--tls-cert', node.cert, '--tls-key', node.key, '--tls-ca', ca.cert, '--require-client-cert'] : [];
  const lines: string[] = [];
  const procs: ChildProcess[] = [];
  // Port 0: the scheduler binds any free port and prints it; a port picked here and handed to it
  // could be taken by another process in between.
  const sched = spawn(process.execPath, [join(root, 'packages/scheduler/bin/gluon-scheduler.js'), '--port', '0', '--no-dashboard', ...tlsFlags], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(sched);
  for (const s of [sched.stdout!, sched.stderr!]) s.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  try {
    const url = await addressOf(sched, lines, tls);
    const worker = spawn(process.execPath, [join(root, 'packages/worker/bin/gluon-worker.js'), url, '--nthreads', '1', '--allow-module', fixtures, ...tlsFlags], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
    procs.push(worker);
    const client = await Client.connect(url, { timeoutMs: 60_000, ...(tls ? { tls: { ca: ca.cert, cert: node.cert, key: node.key } } : {}) });
    // The scheduler's pid: the CLI runs it as a child with its V8 flags, so read it from its log.
    await client.submit(remote.checksum, new Float64Array(8)).result();
    await sleep(idleMs);
    const pid = schedulerPid(sched.pid!);
    const start = rssMiB(pid);
    const after: number[] = [];
    for (let i = 0; i < runs; i++) {
      const arg = bigArray(bytes, i);
      const f = client.submit(remote.checksum, arg);
      const got = await f.result();
      const want = checksum(arg);
      if (got.n !== want.n || got.sum !== want.sum) throw new Error('corrupt result');
      f.release();
      await sleep(idleMs);
      after.push(rssMiB(pid));
    }
    // Whose memory it is: the client's connection (it sent the arguments, decrypted here) goes
    // first, then the worker's (the arguments went out to it, encrypted here).
    await client.close();
    await sleep(idleMs);
    const clientGone = rssMiB(pid);
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await sleep(idleMs);
    const workerGone = rssMiB(pid);
    return { start, after, clientGone, workerGone, lines };
  } finally {
    // Gone before the next mode starts (its RSS is read alone): waited for, not slept on.
    await Promise.all(procs.map((p) => {
      if (p.exitCode !== null || p.signalCode !== null) return undefined;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      return gone;
    }));
  }
}

/** The address the scheduler printed once listening (its last start-up line), waited for on its output. */
function addressOf(sched: ChildProcess, lines: string[], tls: boolean): Promise<string> {
  const line = new RegExp(`^scheduler at (${tls ? 'wss' : 'ws'}://127\\.0\\.0\\.1:\\d+)$`);
  return new Promise((resolve, reject) => {
    const look = () => {
      for (const l of lines) {
        const m = line.exec(l);
        if (m) { sched.stdout!.off('data', look); sched.off('exit', exited); clearTimeout(bound); resolve(m[1]!); return; }
      }
    };
    const exited = () => { clearTimeout(bound); reject(new Error(`the scheduler exited before it printed its address: ${lines.join('\n')}`)); };
    const bound = setTimeout(() => reject(new Error(`the scheduler did not print its address within 120 s: ${lines.join('\n')}`)), 120_000);
    // After the collector above: a chunk is in `lines` before it is looked at.
    sched.stdout!.on('data', look);
    sched.once('exit', exited);
  });
}

/** The scheduler process itself: the launcher's child when the CLI re-runs node with its V8 flags. */
function schedulerPid(launcher: number): number {
  try {
    const kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : launcher;
  } catch {
    return launcher;
  }
}

const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
try {
  for (const mode of values.modes!.split(',')) {
    const r = await measure(mode === 'tls');
    const key = results[mode] ? `${mode}#2` : mode;
    results[key] = r;
    console.log(`${key.padEnd(7)} start ${r.start.toFixed(1)} MiB; after each of ${runs} tasks with a ${values.mib} MiB argument (idle ${idleMs / 1000} s): ${r.after.map((x) => x.toFixed(1)).join(', ')} MiB; client closed: ${r.clientGone.toFixed(1)}, worker gone: ${r.workerGone.toFixed(1)} MiB`);
    for (const l of r.lines.filter((l) => /idle collection|malloc_trim|collection of big buffers/.test(l)).slice(-3)) console.log(`    ${l.replace(/^\S+ scheduler: /, '')}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
