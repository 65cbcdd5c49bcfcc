/**
 * The real `gluon-scheduler` process for tests that talk to it over raw sockets: started on an
 * ephemeral port and killed on teardown, raw WebSockets, hand-built hellos, and one task run
 * end to end by a protocol-level worker and client.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connect, decodeFrame, encodeFrame, PROTOCOL_VERSION, type Message } from '@gluon/protocol';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const TOKEN = 'test-token-123';

export interface Proc { child: ChildProcess; address: string; stderr: () => string }

/** Starts the CLI on an ephemeral port and waits (bounded) for its address line. */
export async function startCli(t: TapTest, args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--no-dashboard', ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no address line within 120 s; stderr: ${err}`)), 120_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^scheduler at (ws:\/\/\S+)$/m.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.on('close', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
  });
  return { child, address, stderr: () => err };
}

/** The test object tap passes to a `t.test` callback. */
export type TapTest = Test;

/** Opens a raw WebSocket, sends `frame` (if any) once open, resolves with how it was closed. */
export function rawClose(address: string, frame?: Buffer | string): Promise<{ code: number; reason: string; first?: Message }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(address);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('not closed within 120 s')); }, 120_000);
    let first: Message | undefined;
    ws.on('open', () => { if (frame !== undefined) ws.send(frame, { binary: typeof frame !== 'string' }); });
    ws.on('message', (d) => { first ??= decodeFrame(d as Buffer)[0] as Message; });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => { clearTimeout(timer); resolve({ code, reason: reason.toString(), ...(first ? { first } : {}) }); });
  });
}

/** A handshaken hello frame, built by hand so fields can be wrong on purpose. */
export function hello(fields: Record<string, unknown>): Buffer {
  return encodeFrame([{ op: 'hello', role: 'client', protocol: PROTOCOL_VERSION, version: '0.1.0', token: TOKEN, ...fields }]);
}

/** A protocol-level worker and client that run one task through the scheduler. */
export async function roundTrip(t: TapTest, address: string, key: string): Promise<unknown> {
  const worker = await connect(address, { role: 'worker', name: `w-${key}`, address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' }, { token: TOKEN });
  t.teardown(() => worker.conn.close());
  worker.conn.send({ op: 'holding', keys: {} });
  worker.conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') {
      worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 41 + 1, hasValue: true });
    }
  });
  const client = await connect(address, { role: 'client', name: 'good' }, { token: TOKEN });
  t.teardown(() => client.conn.close());
  const got = new Promise<Message>((resolve) => client.conn.on('message', (m: Message) => { if (m.op === 'key-in-memory' && m.key === key) resolve(m); }));
  client.conn.send({ op: 'update-graph', tasks: [{ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] }], wants: [key] });
  const m = await got;
  worker.conn.close();
  client.conn.close();
  return m.value;
}

