/**
 * Chunked messages from hostile peers against a real scheduler: a `chunked` header only
 * announces a size, and memory is taken as its pieces come (protocol reassembly.ts). Headers
 * alone cost nothing, so they cannot starve the honest peers; an unfinished message that stalls
 * is dropped with its connection, naming it, and its memory freed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { CloseCode, connect, encodeFrame, type Connection, type Message } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { startCli } from '../scheduler-proc.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A protocol-level worker answering each task with the byte length of its first argument. */
async function worker(t: Test, address: string): Promise<void> {
  const w = await connect(address, { role: 'worker', name: 'w1', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' }, { timeoutMs: 120_000 });
  t.teardown(() => w.conn.close());
  w.conn.send({ op: 'holding', keys: {} });
  w.conn.on('message', (m: Message) => {
    if (m.op !== 'compute-task') return;
    const arg = (m.args as unknown[])[0];
    const value = arg instanceof Uint8Array ? arg.length : -1;
    w.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value, hasValue: true });
  });
}

/** A well-behaved client sending an argument of `bytes` in 1 MiB pieces; resolves with what the worker saw. */
async function honestRun(t: Test, address: string, key: string, bytes: number): Promise<unknown> {
  const { conn } = await connect(address, { role: 'client', name: 'good' }, { chunkBytes: MiB, timeoutMs: 120_000 });
  t.teardown(() => conn.close());
  const got = new Promise<unknown>((resolve, reject) => {
    conn.on('message', (m: Message) => { if (m.op === 'key-in-memory' && m.key === key) resolve(m.value); });
    conn.on('close', (code: number, reason: string) => reject(new Error(`the honest client was dropped (${code}: ${reason})`)));
  });
  conn.send({ op: 'update-graph', tasks: [{ key, fn: { module: 'm', export: 'e' }, args: [new Uint8Array(bytes).fill(7)], deps: [] }], wants: [key] });
  const value = await got;
  conn.close();
  return value;
}

/** Sends a WebSocket ping and resolves on its pong: every frame sent before it has been handled. */
function pinged(conn: Connection): Promise<void> {
  return new Promise((resolve) => {
    conn.ws.once('pong', () => resolve());
    conn.ws.ping();
  });
}

t.test('headers of 4 GiB alone take nothing: under an address-space limit they no longer end the scheduler, and honest clients are served', async (t) => {
  // No V8 flags: the process started is the one that listens (not a supervisor of a child).
  const s = await startCli(t, ['--v8-flags', '', '--max-message-bytes', '4GiB']);
  const pid = s.child.pid!;
  const exited = new Promise<never>((_, reject) => s.child.on('exit', (code, signal) => reject(new Error(`the scheduler exited (${code ?? signal}): ${s.stderr().slice(-600)}`))));
  // As `ulimit -v` on a batch node: room for 32 GiB more than the scheduler maps now (V8 itself
  // reserves more as it goes: with 8 GiB, Node 22's heap sometimes could not grow). Each header
  // allocated its whole size (address space, not yet memory), and about the eighth allocation
  // threw out of the socket's callback.
  const mapped = Number(/VmSize:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  execFileSync('prlimit', ['--pid', String(pid), `--as=${mapped + 32 * GiB}`]);
  await Promise.race([worker(t, s.address), exited]);
  t.equal(await Promise.race([honestRun(t, s.address, 'before-1', 8 * MiB), exited]), 8 * MiB, 'an honest client\'s 8 MiB argument arrives in pieces');
  const hostile: Connection[] = [];
  for (let i = 0; i < 12; i++) {
    const { conn } = await Promise.race([connect(s.address, { role: 'client', name: `hostile-${i}` }, { timeoutMs: 120_000 }), exited]);
    t.teardown(() => conn.close());
    hostile.push(conn);
    conn.ws.send(encodeFrame([{ op: 'chunked', bytes: 4 * GiB }]), { binary: true });
    await Promise.race([pinged(conn), exited]);
  }
  t.pass('twelve headers of 4 GiB were handled (each answered a ping sent after it)');
  t.equal(await Promise.race([honestRun(t, s.address, 'after-1', 8 * MiB), exited]), 8 * MiB, 'and an honest client is served as before');
  t.ok(hostile.every((c) => !c.closed), 'the headers\' connections are open: they may still send their pieces');
  t.equal(s.child.exitCode, null, 'the scheduler is running');
});

t.test('an unfinished chunked message that stalls is dropped with its connection, named, its memory freed; the others go on', async (t) => {
  const lines: string[] = [];
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboardPort: 0, pieceStallMs: 3000, log: (l) => lines.push(l) });
  t.teardown(() => s.close());
  await worker(t, s.address);
  const { conn } = await connect(s.address, { role: 'client', name: 'stalled' }, { timeoutMs: 120_000 });
  const closed = new Promise<[number, string]>((resolve) => conn.on('close', (code: number, reason: string) => resolve([code, reason])));
  // The limit is long enough that the piece sent right after the header is never taken for a
  // stall on a loaded machine (at 300 ms it once was: '0 came').
  conn.ws.send(encodeFrame([{ op: 'chunked', bytes: 64 * MiB }]), { binary: true });
  conn.ws.send(Buffer.alloc(3 * MiB), { binary: true });
  // It answers pings (its ws library does) but sends no more pieces.
  const [code, reason] = await closed;
  t.equal(code, CloseCode.silent, 'closed as a silent peer (4009)');
  t.match(reason, /^chunked message of 67108864 bytes stalled: 3145728 came, then nothing for \d+ ms \(limit 3000 ms\)$/, 'the peer is told which message and how far it got');
  t.ok(lines.some((l) => /^closing connection to client stalled \(127\.0\.0\.1:\d+\): chunked message of 67108864 bytes stalled: 3145728 came/.test(l)), 'the scheduler\'s log names the connection and the message');
  // Half a piece: one frame, so the stall limit cannot catch it between pieces.
  t.equal(await honestRun(t, s.address, 'after-2', MiB / 2), MiB / 2, 'an honest client is served afterwards');
});
