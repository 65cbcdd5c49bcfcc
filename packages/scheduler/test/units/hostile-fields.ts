/**
 * Seeded, bounded fuzzing of the scheduler's state machine with messages that fit their schemas
 * (what a connection lets through) but carry texts of 300,000 characters, control characters
 * included where the schema allows them, in every field a worker or a client fills: names,
 * addresses, reasons, messages, type names, topics, log lines, map keys. After each message,
 * nothing those texts reached (the event log, the process log, the dashboard's events, the
 * messages to every other peer) may hold one whole: a peer's text is cut or refused at the edge.
 * The client's own identifiers (task keys, groups, function names) are taken from a small set of
 * short ones: they name the client's own tasks (docs/internals.md, "Hostile fields").
 * (Frames that do not fit a schema: client/test/fuzz-frames.test.ts.)
 */
import fc from 'fast-check';
import t from 'tap';
import { CLIENT_TO_SCHEDULER, WORKER_TO_SCHEDULER, type Shape } from '@gluon/protocol';
import type { ClusterEvent } from '@gluon/scheduler';
import { Sim, task } from '../sim.js';

const LONG = 300_000;
/** The longest text a peer's field may leave anywhere: a 64 KiB error text plus its line. */
const MOST = 70_000;
const KEYS = ['a-1', 'a-2', 'b-1', 'gone-1'];
/** Fields naming the client's own tasks and code (see the file comment). */
const IDENTIFIERS = new Set(['key', 'keys', 'deps', 'wants', 'dependent', 'running', 'missing', 'group', 'module', 'export']);

/** A long text: plain (printable) or, where allowed, with line breaks and escapes in it. */
function long(plain: boolean): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom('x', 'é', '\u{1F600}'), plain ? fc.constant('') : fc.constantFrom('\n2026-12-04T00:00:00Z scheduler: forged', '\u001b[2J', '\r')).map(([c, bad]) => `${bad}${c.repeat(LONG / c.length)}${bad}`);
}

function hostile(shape: Shape, name = ''): fc.Arbitrary<unknown> {
  switch (shape.type) {
    // Values are data (published values, results, arguments), bounded by their own budgets.
    case 'any': return fc.oneof(fc.integer(), fc.constant('v'), fc.constant(null));
    case 'string':
      if (IDENTIFIERS.has(name)) return fc.constantFrom(...KEYS);
      if (shape.maxLength !== undefined) return fc.constantFrom('ws://w1', 'x'.repeat(Math.max(1, shape.maxLength)));
      return fc.oneof(fc.constantFrom(...(shape.nonEmpty ? ['ws://w1', 'y'] : ['', 'ws://w1'])), long(shape.plain === true));
    case 'number': {
      const min = Math.max(shape.min ?? -1e12, -1e12);
      const max = Math.min(shape.max ?? 1e12, 1e12);
      return shape.int ? fc.integer({ min: Math.ceil(Math.max(min, -1e9)), max: Math.floor(Math.min(max, 1e9)) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean': return fc.boolean();
    case 'literal': return fc.constantFrom(...shape.values);
    case 'array': return fc.array(hostile(shape.item, name), { minLength: shape.min, maxLength: shape.min + 3 });
    case 'record': return fc.dictionary(IDENTIFIERS.has(name) || name === 'held' ? fc.constantFrom(...KEYS) : fc.oneof(fc.constantFrom(...KEYS), long(true)), hostile(shape.value, name), { maxKeys: 3 });
    case 'object': {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [field, f] of Object.entries(shape.fields)) {
        fields[field] = hostile(f.shape, field === 'keys' && name === 'holding' ? 'held' : field);
        if (!f.optional) required.push(field);
      }
      return fc.record(fields, { requiredKeys: required });
    }
  }
}

type Sent = { from: 'worker' | 'client'; m: Record<string, unknown> };

function message(): fc.Arbitrary<Sent> {
  const of = (from: Sent['from'], dir: typeof WORKER_TO_SCHEDULER | typeof CLIENT_TO_SCHEDULER) => fc.constantFrom(...Object.keys(dir.ops))
    .chain((op) => hostile((dir.ops as Record<string, { shape: Shape }>)[op]!.shape, op).map((m) => ({ from, m: { ...(m as object), op } })));
  return fc.oneof(of('worker', WORKER_TO_SCHEDULER), of('client', CLIENT_TO_SCHEDULER));
}

/** Hands a message to the state machine as server.ts does. */
function deliver(sim: Sim, { from, m }: Sent, n: number): void {
  const s = sim.state;
  const now = sim.now;
  const M = m as never as Record<string, never>;
  if (from === 'client') {
    switch (m.op) {
      case 'update-graph': sim.apply(s.updateGraph('evil-c', M.tasks, M.wants, now, M.held, M.workers)); return;
      case 'release-keys': sim.apply(s.releaseKeys('evil-c', M.keys)); return;
      case 'received': sim.apply(s.clientReceived('evil-c', M.keys)); return;
      case 'cancel': sim.apply(s.cancel('evil-c', M.keys, now)); return;
      case 'retry': sim.apply(s.retry(M.keys, now)); return;
      case 'who-has': s.whoHas(M.keys); return;
      case 'publish': sim.apply(s.publish({ client: 'evil-c' }, M.topic, M.value, now)); return;
    }
  }
  switch (m.op) {
    // A registration of its own each time, with the worker's hello bounded as the handshake does.
    case 'holding': sim.addWorker(`evil-${n}`, 1, M.keys, { ...(M.running ? { running: M.running } : {}) }); return;
    case 'heartbeat': sim.apply(s.heartbeat('evil', M.metrics, now)); return;
    case 'task-finished': sim.apply(s.taskFinished('evil', M as never, now)); return;
    case 'task-erred': sim.apply(s.taskErred('evil', M as never, now)); return;
    case 'refused': sim.apply(s.taskRefused('evil', M as never, now)); return;
    case 'accepts': sim.apply(s.moduleAccepted('evil', M.module, now)); return;
    case 'missing-data': sim.apply(s.missingData('evil', M.key, M.errantWorker, M.dependent, now)); return;
    case 'closing': sim.apply(s.workerClosing('evil')); return;
    case 'retire': sim.apply(s.workerRetiring('evil', now, M.lifetime === true)); return;
    case 'acquired': sim.apply(s.acquired('evil', M.keys, M.missing, now)); return;
    case 'handback': sim.apply(s.handback('evil', M.keys)); return;
    case 'steal-response': sim.apply(s.stealResponse('evil', M.key, M.ok)); return;
    case 'publish': sim.apply(s.publish({ worker: 'evil' }, M.topic, M.value, now)); return;
    case 'transfer': sim.apply(s.transfer('evil', M, now)); return;
    case 'log': sim.apply(s.workerLog('evil', M.time, M.text)); return;
  }
}

/** The longest string anywhere in `v` (typed arrays and other values count as nothing). */
function longest(v: unknown, depth = 0): number {
  if (typeof v === 'string') return v.length;
  if (depth > 12 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return 0;
  let most = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) most = Math.max(most, longest(x, depth + 1));
  if (!Array.isArray(v)) for (const k of Object.keys(v)) most = Math.max(most, k.length);
  return most;
}

t.test('texts a worker or client sends reach no log line, event or other peer whole', async (t) => {
  const seen: Record<string, number> = {};
  await fc.assert(fc.property(fc.array(message(), { minLength: 1, maxLength: 6 }), (sent) => {
    const sim = new Sim();
    const events: ClusterEvent[] = [];
    sim.state.subscribe((e) => events.push(e));
    sim.addClient('c');
    sim.addClient('evil-c');
    sim.addWorker('w1', 1, undefined, { address: 'ws://w1' });
    sim.addWorker('evil', 2, undefined, { address: 'ws://evil' });
    sim.submit('c', [task('a-1'), task('a-2'), task('b-1', ['a-1'])]);
    sim.finish('w1', 'a-1');
    const mark = sim.log.length;
    sent.forEach((m, i) => {
      seen[String(m.m.op)] = (seen[String(m.m.op)] ?? 0) + 1;
      deliver(sim, m, i);
    });
    for (const e of sim.state.log) if (e.text.length > MOST) throw new Error(`an event-log line of ${e.text.length} characters: ${e.text.slice(0, 200)}`);
    for (const l of sim.state.takeSaid()) if (l.length > MOST) throw new Error(`a process-log line of ${l.length} characters: ${l.slice(0, 200)}`);
    for (const e of events) if (longest(e) > MOST) throw new Error(`a ${e.kind} event with a text of ${longest(e)} characters`);
    for (const c of sim.log.slice(mark)) {
      if ('worker' in c.to && c.to.worker.startsWith('evil')) continue;
      if ('client' in c.to && c.to.client === 'evil-c') continue;
      if (longest(c.msg) > MOST) throw new Error(`${c.msg.op} to ${JSON.stringify(c.to)} with a text of ${longest(c.msg)} characters`);
    }
  }), { seed: 20261204, numRuns: 150 });
  t.ok(Object.keys(seen).length >= 15, `ops fuzzed: ${JSON.stringify(seen)}`);
});
