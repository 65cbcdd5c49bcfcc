/**
 * Hostile frames against real listeners: messages that ride in the hello's frame, every op
 * with a missing field, ops of the wrong role, connections closed in the same read as their
 * hello (ghosts), clients that vanish without closing, and big frames before the handshake.
 * After each, the process is still up and an ordinary run succeeds.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import t, { type Test } from 'tap';
import { Client, remoteFrom } from '@gluon/client';
import {
  CLIENT_TO_SCHEDULER, CloseCode, DIRECTIONS, encodeFrame, listen, PEER_TO_WORKER, WORKER_TO_SCHEDULER, type Direction,
} from '@gluon/protocol';
import { startScheduler as startInProcess } from '@gluon/scheduler';
import { frame, helloOf, messages, RawSocket } from './raw-ws.js';
import { repo, rssMiB, startScheduler, startWorker, type Proc } from './procs.js';
import { untilEvent } from '../../../test/helpers/until.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

/** A client and the worker run one task: the cluster still works. */
async function ordinaryRun(t: Test, scheduler: string): Promise<void> {
  const client = await Client.connect(scheduler);
  try {
    t.equal(await client.submit(inc, 41).result(), 42, 'an ordinary task runs afterwards');
  } finally {
    await client.close();
  }
}

/** Sends `bytes` on a fresh raw connection and resolves with how the server closed it (bounded: 20 s). */
async function closeOf(address: string, ...bytes: Buffer[]) {
  const raw = await RawSocket.open(address);
  raw.write(...bytes);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('not closed within 120 s')), 120_000)));
  try {
    return await Promise.race([raw.closed, timeout]);
  } finally {
    clearTimeout(timer);
    raw.destroy();
  }
}

t.test('messages in the hello\'s frame are checked like any other; a bad one closes only that connection', async (t) => {
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);

  // The defect: a worker's hello and a malformed handback in one frame ended the scheduler.
  const crash = await closeOf(s.address, messages(helloOf('worker', { name: 'evil-1' }), { op: 'handback', keys: 5 }));
  t.same(crash, { code: CloseCode.protocolError, reason: 'protocol error: handback: keys must be an array of non-empty strings of at most 4096 characters, got number 5' });
  const early = await closeOf(s.address, messages(helloOf('worker', { name: 'evil-1' }), { op: 'handback', keys: ['a-1'] }));
  t.same(early, { code: CloseCode.protocolError, reason: 'protocol error: handback: a worker\'s first message after its hello must be "holding"' });
  const bad = await closeOf(s.address, messages(helloOf('worker', { name: 'evil-2' }), { op: 'holding', keys: {} }, { op: 'handback', keys: 5 }));
  t.same(bad, { code: CloseCode.protocolError, reason: 'protocol error: handback: keys must be an array of non-empty strings of at most 4096 characters, got number 5' });
  const client = await closeOf(s.address, messages(helloOf('client'), { op: 'release-keys', keys: [null] }));
  t.same(client, { code: CloseCode.protocolError, reason: 'protocol error: release-keys: keys[0] must be a non-empty string, got null' });

  t.ok(s.alive(), 'the scheduler is still running');
  t.notMatch(s.output(), /TypeError|RangeError|uncaught/i, 'no crash traces');
  await ordinaryRun(t, s.address);
  t.ok(w.alive());
});

/** Every op of `dir` with each required field missing, and one with an unknown field. */
function malformedOps(dir: Direction): Array<{ msg: Record<string, unknown>; reason: RegExp }> {
  const out: Array<{ msg: Record<string, unknown>; reason: RegExp }> = [];
  for (const op of Object.keys(dir.ops)) {
    if (dir.lenient?.has(op)) continue;
    out.push({ msg: { op, zzz: 1 }, reason: new RegExp(`^protocol error: ${op}: (\\w+ is missing|zzz is not a known field)`) });
  }
  return out;
}

t.test('every op of every role is checked against its schema, and ops of another role are refused', async (t) => {
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);
  const cases: Array<{ address: string; hello: Record<string, unknown>; msg: Record<string, unknown>; reason: RegExp }> = [];
  for (const c of malformedOps(WORKER_TO_SCHEDULER)) cases.push({ address: s.address, hello: helloOf('worker', { name: 'fuzz-w' }), ...c });
  for (const c of malformedOps(CLIENT_TO_SCHEDULER)) cases.push({ address: s.address, hello: helloOf('client'), ...c });
  for (const c of malformedOps(PEER_TO_WORKER)) cases.push({ address: w.address, hello: helloOf('peer'), ...c });
  // Ops of other roles (and a made-up one) on each connection kind.
  const allOps = new Set(DIRECTIONS.flatMap((d) => Object.keys(d.ops)));
  for (const [address, role, dir] of [[s.address, 'worker', WORKER_TO_SCHEDULER], [s.address, 'client', CLIENT_TO_SCHEDULER], [w.address, 'peer', PEER_TO_WORKER]] as const) {
    for (const op of [...allOps, 'launch-missiles']) {
      if (Object.hasOwn(dir.ops, op)) continue;
      cases.push({ address, hello: helloOf(role, { name: `wrong-${role}` }), msg: { op }, reason: new RegExp(`^protocol error: (op "${op}" is not accepted from|unknown op "${op}" from) ${dir.from.replace(' ', '\\s')}`) });
    }
  }
  for (const c of cases) {
    const first = c.hello.role === 'worker' ? [{ op: 'holding', keys: {} }] : [];
    const closed = await closeOf(c.address, messages(c.hello, ...first, c.msg));
    t.equal(closed.code, CloseCode.protocolError, `${c.hello.role}: ${JSON.stringify(c.msg)} closes with 4003`);
    t.match(closed.reason, c.reason);
  }
  t.ok(s.alive() && w.alive(), 'both processes are still running');
  await ordinaryRun(t, s.address);
});

t.test('a connection closed in the same read as its hello is never registered (no ghost worker or client)', async (t) => {
  const s = await startInProcess({ port: 0, dashboard: false, log: () => {} });
  t.teardown(() => s.close());
  // hello (+ a worker's holding) and then garbage, in one write: closed while handshaking
  const ghostWorker = await closeOf(s.address, messages(helloOf('worker', { name: 'ghost' }), { op: 'holding', keys: {} }), frame('garbage'));
  t.equal(ghostWorker.code, CloseCode.protocolError);
  const ghostClient = await closeOf(s.address, messages(helloOf('client', { name: 'ghost' })), frame(Buffer.from([0xc1])));
  t.equal(ghostClient.code, CloseCode.protocolError);
  // The close frame came back after the read was handled, so a ghost would be registered by now.
  t.equal(s.state.workers.size, 0, 'no ghost worker to give tasks to');
  t.equal(s.state.clients.size, 0, 'no ghost client pinning results');
  t.notOk(s.state.log.some((l) => /ghost/.test(l.text)), 'neither was ever registered');
});

t.test('a client that vanishes without closing is dropped after the TTL and its keys released after the session grace', async (t) => {
  const s = await startInProcess({ port: 0, dashboard: false, heartbeatTtlMs: 1000, sessionGraceMs: 500, log: () => {} });
  t.teardown(() => s.close());
  // A client in its own process holds a key (no worker: it stays queued), then stops dead.
  const script = `
    import { Client, remoteFrom } from '@gluon/client';
    const { inc } = remoteFrom('@gluon/examples/tasks');
    const c = await Client.connect(${JSON.stringify(s.address)});
    globalThis.held = c.submit(inc, 1);
    setInterval(() => {}, 1000);
    process.stdout.write('submitted\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('the client did not submit within 120 s')), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      if (/submitted/.test(d.toString())) {
        clearTimeout(timer);
        res();
      }
    });
  });
  await untilEvent(s, () => s.state.tasks.size === 1, 'the task known');
  t.equal(s.state.clients.size, 1);
  // Its session in the log, from its last connection: on a loaded machine the 1 s TTL also
  // dropped it (or it dropped a stalled scheduler) before the SIGSTOP, and it reconnected, and
  // the scheduler's notes of its own stalls ('the scheduler was stalled for 1.8 s …') are in the
  // log too: the whole log, matched entry for entry, failed on either.
  const sessions = () => s.state.log.filter((l) => l.kind === 'client-connected' || l.kind === 'client-disconnected');
  const last = sessions().findLastIndex((l) => l.kind === 'client-connected');
  child.kill('SIGSTOP'); // its socket stays open, it just never answers again
  await untilEvent(s, () => s.state.clients.size === 0, 'the vanished client dropped');
  t.equal(s.state.tasks.size, 0, 'its keys were released');
  t.match(sessions().slice(last).map((l) => l.text), [/client/, /disconnected; released 1 keys/]);
  child.kill('SIGCONT');
});

/** Six connections each announce a `mib` MiB frame before any hello and stream it. */
async function bigFramesBeforeHello(address: string, mib: number): Promise<number[]> {
  const socks = await Promise.all(Array.from({ length: 6 }, () => RawSocket.open(address)));
  return Promise.all(socks.map(async (s) => {
    await s.stream(mib << 20);
    const c = await s.closed;
    s.destroy();
    return c.code;
  }));
}

async function rssStaysBounded(t: Test, p: Proc, what: string): Promise<void> {
  const pid = p.child.pid!;
  const before = rssMiB(pid);
  const codes = await bigFramesBeforeHello(p.address, 128);
  const after = rssMiB(pid);
  t.same(codes, Array(6).fill(CloseCode.tooLarge), `${what}: each is closed with 1009`);
  t.ok(after - before < 64, `${what}: RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB after 6 x 128 MiB frames before the hello`);
  t.ok(p.alive(), `${what}: still running`);
}

t.test('before the handshake only a small frame is read, on the scheduler and on a worker\'s data listener', async (t) => {
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);
  await rssStaysBounded(t, s, 'scheduler');
  await rssStaysBounded(t, w, 'worker data listener');
  // a hello-sized first frame is still fine, and after the hello big frames are accepted
  const raw = await RawSocket.open(s.address);
  raw.write(
    messages(helloOf('client')), // one read: the limit is raised before the next frame is parsed
    messages({ op: 'publish', topic: 'big', value: 'x'.repeat(1 << 20) }),
    messages({ op: 'publish', topic: 'big2', value: new Uint8Array(4 << 20) }, { op: 'who-has', id: 1, keys: [] }),
  );
  t.match(await raw.message((m) => m.op === 'who-has-reply'), { replyTo: 1 }, 'frames of MiBs after the hello are accepted');
  raw.destroy();
  await ordinaryRun(t, s.address);
});

t.test('the dashboard\'s live feed reads only small frames, and browsers send it nothing', async (t) => {
  const s = await startInProcess({ port: 0, dashboardPort: 0, log: () => {} });
  t.teardown(() => s.close());
  const live = s.dashboardUrl!.replace(/^http/, 'ws') + 'live';
  const big = await RawSocket.open(live);
  const sent = big.stream(64 << 20);
  t.equal((await big.closed).code, CloseCode.tooLarge, 'a big frame closes the feed with 1009');
  big.destroy();
  await sent;
  const chatty = await closeOf(live, frame(encodeFrame([{ op: 'update-graph' }])));
  t.same(chatty, { code: CloseCode.protocolError, reason: 'protocol error: the dashboard feed is read-only; browsers send nothing on it' });
});

t.test('a client and a worker check what the scheduler sends them: a malformed message closes that link with 4003', async (t) => {
  // A stand-in scheduler that answers each newcomer's first message with a malformed one.
  const closes = new EventEmitter();
  const fake = await listen({
    self: 'scheduler', roles: ['client', 'worker'], port: 0, log: () => {},
    welcome: (h) => (h.role === 'worker' ? { workerId: 'w1', heartbeatIntervalMs: 1000 } : { clientId: 'c1' }),
    onConnection: (conn, hello) => {
      conn.on('close', (code: number, reason: string) => closes.emit(hello.role, [hello.role, code, reason]));
      conn.send(hello.role === 'worker'
        ? { op: 'compute-task', key: 5, fn: { module: 'm', export: 'e' }, args: [], deps: [], priority: [0] }
        : { op: 'key-in-memory', key: 'k-1', nbytes: -1, typeName: 'number', workers: [] });
    },
  });
  t.teardown(() => fake.close());
  const closed = (role: string) => new Promise<[string, number, string]>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no close of the ${role}'s link within 120 s`)), 120_000);
    closes.once(role, (c: [string, number, string]) => {
      clearTimeout(timer);
      res(c);
    });
  });
  const clientClosed = closed('client');
  const client = await Client.connect(fake.address);
  t.teardown(() => client.close());
  t.same(await clientClosed, ['client', CloseCode.protocolError, 'protocol error: key-in-memory: nbytes must be a finite number ≥ 0, got number -1']);
  const workerClosed = closed('worker');
  await startWorker(t, fake.address, ['--nthreads', '1']);
  t.same(await workerClosed, ['worker', CloseCode.protocolError, 'protocol error: compute-task: key must be a non-empty string of at most 4096 characters, got number 5']);
});

t.test('a task error\'s code, errno, syscall and path (protocol 19) are bounded: one out of bounds closes its sender\'s link with 4003, naming the field', async (t) => {
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);
  const error = (detail: Record<string, unknown>) => ({ message: 'm', name: 'Error', stack: '', ...detail });
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ code: 'x'.repeat(257) }, /^protocol error: task-erred: error\.code must be at most 256 characters, got 257: "x/],
    [{ code: 'A\nB' }, /^protocol error: task-erred: error\.code must have no control characters, got U\+000A at character 2 of "A\\nB"$/],
    [{ code: 42 }, /^protocol error: task-erred: error\.code must be a non-empty string of at most 256 characters/],
    [{ errno: 1.5 }, /^protocol error: task-erred: error\.errno must be an integer, got number 1\.5$/],
    [{ syscall: '' }, /^protocol error: task-erred: error\.syscall must be a non-empty string/],
    [{ path: 'p'.repeat(4097) }, /^protocol error: task-erred: error\.path must be at most 4096 characters, got 4097/],
  ];
  // (A close reason is cut to the 123 bytes WebSocket allows: the start is matched.)
  for (const [i, [detail, reason]] of cases.entries()) {
    const erred = { op: 'task-erred', key: 'k-1', error: error(detail), kind: 'exception', start: 0, stop: 0, thread: 0 };
    const closed = await closeOf(s.address, messages(helloOf('worker', { name: `evil-code-${i}` }), { op: 'holding', keys: {} }, erred));
    t.equal(closed.code, CloseCode.protocolError, `${Object.keys(detail)[0]}: 4003`);
    t.match(closed.reason, reason);
  }
  t.ok(s.alive(), 'the scheduler is still running');
  await ordinaryRun(t, s.address);
  t.ok(w.alive());

  // And a client checks the same fields from its scheduler.
  let clientClosed!: (c: [number, string]) => void;
  const closedP = new Promise<[number, string]>((r) => (clientClosed = r));
  const fake = await listen({
    self: 'scheduler', roles: ['client'], port: 0, log: () => {},
    welcome: () => ({ clientId: 'c1' }),
    onConnection: (conn) => {
      conn.on('close', (code: number, reason: string) => clientClosed([code, reason]));
      conn.send({ op: 'task-erred', key: 'k-1', error: { ...error({ code: 'c'.repeat(300) }), key: 'k-1', worker: 'w', retriesUsed: 0, kind: 'exception' } });
    },
  });
  t.teardown(() => fake.close());
  const client = await Client.connect(fake.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const [code, reason] = await closedP;
  t.equal(code, CloseCode.protocolError);
  t.match(reason, /^protocol error: task-erred: error\.code must be at most 256 characters, got 300/);
});

t.test('a client takes a task-erred of a key over MAX_KEY_LENGTH (protocol 21: how the scheduler refuses a key a client sent), and its link carries on', async (t) => {
  // Protocol 20's client closed its own connection with 4003 on it, losing every future in flight.
  const over = 'k'.repeat(5000);
  const error = { message: `task key ${over.slice(0, 120)}… (5000 characters) is over the protocol's bound on a task key`, name: 'KeyTooLongError', stack: '', key: over, worker: '', retriesUsed: 0, kind: 'bad-input' };
  let closedBy: [number, string] | undefined;
  let linkClosed!: () => void;
  const closedP = new Promise<string>((r) => (linkClosed = () => r('(the link closed)')));
  const fake = await listen({
    self: 'scheduler', roles: ['client'], port: 0, log: () => {},
    welcome: () => ({ clientId: 'c1' }),
    onConnection: (conn) => {
      conn.on('close', (code: number, reason: string) => {
        closedBy = [code, reason];
        linkClosed();
      });
      conn.send({ op: 'task-erred', key: over, error });
      // Said after it: heard only if the link carried on.
      conn.send({ op: 'warning', kind: 'after', active: false, text: 'after the task-erred' });
    },
  });
  t.teardown(() => fake.close());
  const client = await Client.connect(fake.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const heard = await Promise.race([new Promise<string>((resolve) => client.onWarning((w) => resolve(w.text))), closedP]);
  t.equal(heard, 'after the task-erred', 'the message after it is handled');
  t.equal(closedBy, undefined, 'the link is open');
});

/** `s` with every character outside printable ASCII as \uXXXX. */
const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Resolves once `p`'s output holds `text` (bounded: 120 s). */
async function outputHas(p: Proc, text: string): Promise<void> {
  const until = Date.now() + 120_000;
  while (!p.output().includes(text)) {
    if (Date.now() > until) throw new Error(`no "${text}" in the output within 120 s:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('names, versions and ops with line breaks or terminal escapes cannot forge lines in the scheduler\'s or a worker\'s log', async (t) => {
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);
  // Short enough to be quoted whole (a refused hello's values are cut past 40 characters).
  const short = (n: number) => `\nZ scheduler: FORGED-${n}\r\x1b[2K\u2028`;
  // Unauthenticated: refused at the hello, and the refusal quotes what was sent.
  await closeOf(s.address, messages(helloOf('client', { version: `0.0.1${short(1)}` })));
  await closeOf(s.address, messages({ op: `nope${short(2)}` }));
  await closeOf(w.address, messages(helloOf('peer', { version: `0.0.1${short(5)}` })));
  // A client's or a worker's name with a control character is refused at the hello (4011), and
  // the refusal quotes it (it was accepted, and escaped in the lines naming it, before names
  // were bounded). Short enough to be quoted whole.
  const client = await closeOf(s.address, messages(helloOf('client', { name: `c${short(3)}` }), { op: 'who-has', id: 1, keys: [] }));
  const worker = await closeOf(s.address, messages(helloOf('worker', { name: `dup${short(4)}`, address: 'ws://127.0.0.1:9' }), { op: 'holding', keys: {} }));
  t.same([client.code, worker.code], [CloseCode.badHello, CloseCode.badHello], 'names with control characters are refused');
  t.match(worker.reason, /^hello refused: name must have no control characters, got U\+000A at character 4/);
  await outputHas(s, 'FORGED-1');
  await outputHas(s, 'FORGED-2');
  await outputHas(s, 'FORGED-3');
  await outputHas(s, 'FORGED-4');
  await outputHas(w, 'FORGED-5');
  for (const [who, p] of [['scheduler', s], ['worker', w]] as const) {
    const lines = p.output().split('\n');
    // Compared in ASCII: the raw characters would garble the test's own report.
    t.same(lines.filter((l) => /^\S* ?scheduler: FORGED|^2026-01-01/.test(l)).map(ascii), [], `${who}: no line of its log is one the peer wrote`);
    t.same(lines.filter((l) => /[\r\x1b\u2028]/.test(l)).map(ascii), [], `${who}: no carriage return, escape or line separator reaches its log as such`);
    t.ok(/FORGED-\d[^\n]*\\r\\u001b\[2K\\u2028/.test(p.output()), `${who}: they are shown escaped`);
  }
  await ordinaryRun(t, s.address);
});

t.test('one frame of get-data requests for a large result: a worker answers at most its send-backlog limit of data in it, the rest later', async (t) => {
  // Each answer was queued whole, encoded, before the connection's backlog was next checked: a
  // frame of 100 requests for one 48 MB result took the worker to 2.8 GB of RSS.
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1', '--max-send-backlog', '1MiB']);
  const { histogram } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
  const client = await Client.connect(s.address);
  t.teardown(() => client.close());
  const f = client.submit(histogram, 1, 10, 125_000); // a 1 MB Float64Array, kept on the worker
  t.equal((await f.result()).length, 125_000);
  const raw = await RawSocket.open(w.address);
  t.teardown(() => raw.destroy());
  const n = 40;
  raw.write(messages(helloOf('peer'), ...Array.from({ length: n }, (_, i) => ({ op: 'get-data', id: i + 1, keys: [f.key] }))));
  await raw.message((m) => m.op === 'data' && m.replyTo === n);
  const answers = raw.messages.filter((m) => m.op === 'data');
  const withData = answers.filter((m) => Object.keys(m.data as object).length === 1);
  const later = answers.filter((m) => Array.isArray(m.later) && (m.later as string[])[0] === f.key);
  t.equal(answers.length, n, 'every request is answered');
  t.ok(withData.length >= 1 && withData.length <= 2, `${withData.length} carry the 1 MB value (at most 1 MiB of them, and one more)`);
  t.equal(withData.length + later.length, n, 'the others say later: ask again, one key per request');
  // Asked again on its own, it is answered with the value.
  raw.write(messages({ op: 'get-data', id: n + 1, keys: [f.key] }));
  const again = await raw.message((m) => m.op === 'data' && m.replyTo === n + 1);
  t.equal(Object.keys(again.data as object).length, 1, 'one request later gets the value');
  t.ok(w.alive(), 'the worker is still running');
  t.equal(await client.submit(inc, 1).result(), 2, 'and still computes');
});

t.test('a get-data naming a key over MAX_KEY_LENGTH is refused by naming it (protocol 21); the data link serves the requests around it', async (t) => {
  // Protocol 20's worker closed the asker's link with 4003, and every fetch in flight on it failed.
  const s = await startScheduler(t);
  const w = await startWorker(t, s.address, ['--nthreads', '1']);
  const client = await Client.connect(s.address);
  t.teardown(() => client.close());
  const f = client.submit(inc, 41);
  t.equal(await f.result(), 42);
  const raw = await RawSocket.open(w.address);
  t.teardown(() => raw.destroy());
  const over = 'g'.repeat(5000);
  raw.write(messages(helloOf('client'),
    { op: 'get-data', id: 1, keys: [f.key] }, { op: 'get-data', id: 2, keys: [f.key, over] }, { op: 'get-data', id: 3, keys: [f.key] }));
  const third = await Promise.race([raw.message((m) => m.replyTo === 3), raw.closed]);
  t.match(third, { op: 'data', data: { [f.key]: 42 } }, 'the request after it is answered');
  t.match(raw.messages.find((m) => m.replyTo === 1), { op: 'data', data: { [f.key]: 42 } }, 'and the one before');
  const refused = raw.messages.find((m) => m.replyTo === 2);
  t.match(refused, { op: 'error', message: /^get-data: key g{120}… \(5000 characters\) is over the protocol's bound on a task key, 4096 characters \(MAX_KEY_LENGTH\); no result has such a key$/ }, 'it names the key cut short, its length and the bound');
  raw.write(messages({ op: 'get-data', id: 4, keys: [f.key] }));
  t.match(await Promise.race([raw.message((m) => m.replyTo === 4), raw.closed]), { op: 'data' }, 'the link goes on');
  t.ok(w.alive(), 'the worker is still running');
});

t.test('a refused hello\'s fields are quoted cut short in the listener\'s log, however long they are', async (t) => {
  // Before the token is checked: a 60 kB version, role or op was a 60 kB log line per connection.
  const s = await startScheduler(t);
  const long = (c: string) => `${c}${'x'.repeat(60_000)}END`;
  await closeOf(s.address, messages(helloOf('client', { version: long('v') })));
  await closeOf(s.address, messages(helloOf('client', { role: long('r') })));
  await closeOf(s.address, messages(helloOf('client', { protocol: long('p') })));
  await closeOf(s.address, messages({ op: long('o') }));
  await outputHas(s, 'expected "hello" first');
  const refusals = s.output().split('\n').filter((l) => l.includes('refused connection'));
  t.equal(refusals.length, 4, 'each refusal is logged');
  for (const l of refusals) t.ok(l.length < 400, `${l.length} characters: ${l.slice(0, 120)}…`);
  t.notOk(s.output().includes('xEND'), 'none is written whole');
  t.match(s.output(), /is vxxxx+… \(60004 characters\)/, 'the start of the value and its length');
});
