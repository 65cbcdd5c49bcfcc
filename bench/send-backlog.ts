/**
 * A client that stops reading its socket while the scheduler keeps sending to it: how much does
 * the scheduler buffer for it? A real scheduler process, a protocol-level worker answering every
 * task with an inline value of `--value-kib` KiB, a reading client and a non-reading one (its
 * socket paused right after the handshake) that hold the same keys, so every result's
 * `key-in-memory` (with its value) goes to both. Batches of `--batch` tasks run until the
 * scheduler's RSS passes `--stop-mib` or `--batches` ran; prints the scheduler's RSS after each
 * batch and how the non-reader's connection ended. Loopback only, every loop bounded.
 * `npx tsx bench/send-backlog.ts [--max-send-backlog 64MiB]` after `npx tsc -b`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect, MAX_INLINE_RESULT_BYTES, type Message } from '@gluon/protocol';

const { values } = parseArgs({ options: {
  'value-kib': { type: 'string', default: '16' }, batch: { type: 'string', default: '4000' },
  batches: { type: 'string', default: '24' }, 'stop-mib': { type: 'string', default: '1024' },
  'max-send-backlog': { type: 'string' },
} });
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The scheduler passes on no inline value over 16 KiB as it measures it (a string: its length
// and 5), whatever the worker declares; 64 KiB values were used before it measured them.
if (Number(values['value-kib']) > MAX_INLINE_RESULT_BYTES / 1024) throw new Error(`--value-kib over ${MAX_INLINE_RESULT_BYTES / 1024}: the scheduler would not pass such a value on inline`);
const value = 'x'.repeat(Number(values['value-kib']) * 1024 - 5);
const batch = Number(values.batch);
const stopMiB = Number(values['stop-mib']);

const cli = join(root, 'packages/scheduler/dist/cli.js');
const extra = values['max-send-backlog'] ? ['--max-send-backlog', values['max-send-backlog']] : [];
// The scheduler's V8 flags given to node itself, so the process that listens is this child.
const child = spawn(process.execPath, ['--expose-gc', cli, '--port', '0', '--no-dashboard', '--v8-flags=--expose-gc', '--heartbeat-ttl', '600s', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
const address = await new Promise<string>((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`no address within 120 s: ${stderr}`)), 120_000);
  child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`scheduler exited ${code}: ${stderr}`)); });
  child.stdout.on('data', (d) => {
    out += d;
    const m = /^scheduler at (ws:\/\/\S+)$/m.exec(out);
    if (m) { clearTimeout(timer); resolve(m[1]!); }
  });
});
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;

try {
  const worker = await connect(address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'bench' });
  worker.conn.send({ op: 'holding', keys: {} });
  worker.conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') worker.conn.send({ op: 'task-finished', key: m.key, nbytes: value.length + 5, typeName: 'string', start: 1, stop: 2, thread: 0, value, hasValue: true });
  });
  const good = await connect(address, { role: 'client', name: 'good' });
  const bad = await connect(address, { role: 'client', name: 'paused' });
  let badClosed = '';
  bad.conn.on('close', (code: number, reason: string) => (badClosed = `${code} ${reason}`));
  (bad.conn.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  console.log(`scheduler RSS at start: ${rssMiB().toFixed(0)} MiB; ${batch} tasks a batch, ${values['value-kib']} KiB each`);
  const fn = { module: 'm', export: 'e' };
  for (let b = 0; b < Number(values.batches); b++) {
    const tasks = Array.from({ length: batch }, (_, i) => ({ key: `v-${b}-${i}`, fn, args: [], deps: [] }));
    const keys = tasks.map((t) => t.key);
    const left = new Set(keys);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`batch ${b} not done within 300 s`)), 300_000);
      const on = (m: Message) => {
        if (m.op === 'key-in-memory' && left.delete(m.key as string) && left.size === 0) { clearTimeout(timer); good.conn.off('message', on); resolve(); }
      };
      good.conn.on('message', on);
    });
    // The paused client holds the keys first (it still writes), so each result goes to it too.
    bad.conn.send({ op: 'update-graph', tasks, wants: keys });
    good.conn.send({ op: 'update-graph', tasks, wants: keys });
    await done;
    good.conn.send({ op: 'release-keys', keys });
    const rss = rssMiB();
    console.log(`batch ${b + 1}: ${((b + 1) * batch * value.length / 2 ** 20).toFixed(0)} MiB of results sent each way, scheduler RSS ${rss.toFixed(0)} MiB${badClosed ? `, paused client closed: ${badClosed}` : ''}`);
    if (rss > stopMiB) { console.log(`stopped: RSS over ${stopMiB} MiB`); break; }
  }
  const lines = stderr.split('\n').filter((l) => /paused|backlog/.test(l));
  if (lines.length) console.log(`scheduler log:\n${lines.join('\n')}`);
  good.conn.close();
  worker.conn.close();
  bad.conn.terminate();
} finally {
  child.kill('SIGKILL');
}
