/**
 * The body of a worker thread: imports task modules (cached), runs tasks one at a time and
 * posts results back. It holds no state between tasks beyond the module cache and how long each
 * export usually takes.
 *
 * Cheap dispatch: requests arrive in batches, and results of short tasks are held back and
 * posted together, as long as the next queued task is known to be short too (its export's
 * recent mean under {@link FAST_MS}); before anything slow or unknown starts, held results go
 * out, so a long task never delays an earlier result by more than a few short tasks.
 *
 * Tasks posted ahead may be taken back by the pool (to run on a thread that went idle): each is
 * claimed on the shared cursor before it runs and skipped, unanswered, when the pool won (claim.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TaskContext } from '@gluon/protocol';
import { checkWire } from '@gluon/protocol/values';
import { claim } from './claim.js';
import { substitute } from './refs.js';
import { withSyntaxLocation } from './syntax-location.js';

export interface RunRequest {
  type: 'run';
  id: number;
  /** Its number among the tasks posted to this thread, for the claim cursor (claim.ts). */
  seq: number;
  key: string;
  url: string;
  exportName: string;
  args: unknown[];
  /** Values of the task's dependencies, substituted for the `{__gluonRef: key}`s in `args`. */
  data: Record<string, unknown>;
}

/** What the main thread posts: a batch of tasks. */
export interface RunBatch {
  type: 'run';
  tasks: RunRequest[];
}

export type TaskReply =
  /** `nbytes`: the result's estimated wire size, from the walk that checked it can be sent. */
  | { type: 'done'; id: number; value: unknown; nbytes: number; start: number; stop: number; events?: number; hr?: HopStamps }
  | { type: 'error'; id: number; error: { name: string; message: string; stack: string }; start: number; stop: number; hr?: HopStamps };

/**
 * With `GLUON_HOP_PROBE` set (protocol's hop-probe.ts), when the thread received the task, started
 * and ended it (hrtime ns), for the pool to record: a thread does not load the protocol package.
 */
export type HopStamps = [received: number, start: number, end: number];

export type ThreadReply =
  /** `postedAt`: when the batch was posted (hrtime ns), only with `GLUON_HOP_PROBE` set. */
  | { type: 'results'; replies: TaskReply[]; postedAt?: number }
  | { type: 'publish'; topic: string; value: unknown }
  /** The task with this id called process.exit: it, not a queued one, ended the thread. */
  | { type: 'exiting'; id: number; code: number }
  /** The thread has loaded and reads its messages (it may now be given tasks taken from others). */
  | { type: 'ready' };

/** Exports whose recent mean duration is below this (ms) may have results held back. */
const FAST_MS = 0.5;
/** Most results held back before posting. */
const MAX_HELD = 64;
/** Typed-array buffers at least this big are moved out of the thread rather than copied. */
const TRANSFER_MIN_BYTES = 64 * 1024;

/**
 * The registered symbol of the task-context contract (`TASK_CONTEXT_SYMBOL` in @gluon/protocol).
 * Spelled out so a thread does not load the protocol package (ws, msgpackr) it never uses,
 * which would slow every thread's start.
 */
const TASK_CONTEXT_SYMBOL = Symbol.for('gluon.taskContext');

const port = parentPort!;
const { worker: workerName, cursor } = workerData as { worker: string; cursor: Int32Array };
const modules = new Map<string, Promise<Record<string, unknown>>>();
/** Loaded modules, for a synchronous fast path. */
const loaded = new Map<string, Record<string, unknown>>();
/** Recent mean duration per `url#export`, ms. */
const meanMs = new Map<string, number>();
const queue: RunRequest[] = [];
let held: TaskReply[] = [];
let heldTransfer: ArrayBuffer[] = [];
let running = false;
let current: RunRequest | null = null;
let tsxRegistered: Promise<boolean> | null = null;
/** `GLUON_HOP_PROBE` is set (and not blank, as protocol's hop-probe.ts reads it): stamp each task (see {@link HopStamps}). */
const PROBE = !!process.env.GLUON_HOP_PROBE?.trim();
const hrNow = (): number => Number(process.hrtime.bigint());
/** Task id → when it arrived, while the probe is on. */
const arrived = new Map<number, number>();

port.on('message', (m: RunBatch) => {
  if (PROBE) for (const t of m.tasks) arrived.set(t.id, hrNow());
  for (const t of m.tasks) queue.push(t);
  if (!running) void drain();
});
port.postMessage({ type: 'ready' } satisfies ThreadReply);

// A task that calls process.exit ends only this thread. Say which task it was, and send the
// results held back, so the pool blames the right task and loses nothing.
const realExit = process.exit.bind(process);
process.exit = ((code?: number) => {
  flush();
  if (current) port.postMessage({ type: 'exiting', id: current.id, code: Number(code ?? 0) } satisfies ThreadReply);
  realExit(code);
}) as typeof process.exit;

async function drain(): Promise<void> {
  running = true;
  while (queue.length) {
    const req = queue.shift()!;
    if (claim(cursor, req.seq)) await run(req);
    const next = queue[0];
    if (!next || held.length >= MAX_HELD || !((meanMs.get(`${next.url}#${next.exportName}`) ?? Infinity) < FAST_MS)) flush();
  }
  running = false;
}

/** Posts the held results in one message; a value that cannot be cloned fails only its task. */
function flush(): void {
  if (held.length === 0) return;
  const replies = held;
  const transfer = heldTransfer;
  held = [];
  heldTransfer = [];
  try {
    port.postMessage({ type: 'results', replies, ...(PROBE ? { postedAt: hrNow() } : {}) } satisfies ThreadReply, transfer);
    return;
  } catch {
    // Some value cannot leave the thread: find it by posting one at a time.
  }
  for (const r of replies) {
    try {
      port.postMessage({ type: 'results', replies: [r] } satisfies ThreadReply, r.type === 'done' ? transferables(r.value) : []);
    } catch (err) {
      const message = `the task's result cannot leave its thread: ${(err as Error).message}`;
      port.postMessage({
        type: 'results', replies: [{ type: 'error', id: r.id, error: { name: 'DataCloneError', message, stack: `DataCloneError: ${message}` }, start: r.start, stop: r.stop }],
      } satisfies ThreadReply);
    }
  }
}

function load(url: string): Promise<Record<string, unknown>> {
  let p = modules.get(url);
  if (!p) {
    p = (/\.(c|m)?tsx?$/.test(url) ? typeScriptLoader(url) : Promise.resolve())
      .then(() => import(url) as Promise<Record<string, unknown>>)
      .catch(async (err: unknown) => { throw await withSyntaxLocation(err, url); });
    modules.set(url, p);
    p.then((m) => loaded.set(url, m), () => modules.delete(url));
  }
  return p;
}

/**
 * TypeScript task modules (a script run with tsx) load through tsx when it is installed; without
 * it, Node 22.18+ and 24 strip the types themselves (`process.features.typescript`, as `node
 * tasks.ts` does; not `.tsx`). They used to be refused on every Node, naming no module.
 */
function typeScriptLoader(url: string): Promise<void> {
  tsxRegistered ??= import('tsx/esm/api').then((m: { register: () => unknown }) => { m.register(); return true; }, () => false);
  // Node 22.18+/24's flag; Node 20's types do not have it.
  const strips = Boolean((process.features as { typescript?: string | false }).typescript);
  return tsxRegistered.then((tsx) => {
    if (tsx || (strips && !/\.(c|m)?tsx$/.test(url))) return;
    const why = strips ? 'Node strips types from .ts files but not .tsx' : `Node ${process.version} cannot strip types; 22.18+ and 24 do`;
    throw new Error(`task module ${url} is TypeScript: install tsx where the worker runs (${why}), or compile it to JavaScript`);
  });
}

/** A result that cannot travel (a class instance, a function, a cycle …); fails its task. */
class ResultError extends TypeError {
  override name = 'ResultError';
}

async function run(req: RunRequest): Promise<void> {
  const start = Date.now();
  const t0 = performance.now();
  const hr0 = PROBE ? hrNow() : 0;
  let events: number | undefined;
  const ctx: TaskContext = {
    key: req.key,
    worker: workerName,
    publish: (topic, value) => {
      // Checked here, where the task sees the error: the scheduler would refuse the message.
      if (typeof topic !== 'string' || topic === '') throw new TypeError(`publish(): the topic must be a non-empty string, got ${typeof topic}`);
      // Refused here, in the task that made it, rather than by the encoder on the main thread.
      const c = checkWire(value, 'value');
      if (!c.ok) throw new TypeError(`publish(${JSON.stringify(topic)}): ${c.message}`);
      port.postMessage({ type: 'publish', topic, value } satisfies ThreadReply);
    },
    report: (m) => {
      if (typeof m.events === 'number' && Number.isFinite(m.events)) events = (events ?? 0) + m.events;
    },
  };
  current = req;
  (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] = ctx;
  try {
    const mod = loaded.get(req.url) ?? (await load(req.url));
    const fn = mod[req.exportName];
    if (typeof fn !== 'function') {
      // An export that is there but is not a function is named as such: "has no exported
      // function X (exports: …, X, …)" listed the very name it said was missing.
      throw new TypeError(Object.hasOwn(mod, req.exportName)
        ? `module ${req.url} exports "${req.exportName}", but it is ${describeExport(fn)}, not a function; a task names an exported function`
        : `module ${req.url} has no exported function "${req.exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'})`);
    }
    let value = (fn as (...a: unknown[]) => unknown)(...substitute(req.args, req.data));
    if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') value = await value;
    // Checked here, where class prototypes are still visible (a structured clone to the main
    // thread would turn a class instance into a plain object) and where a failure is the task's.
    const wire = checkWire(value, 'result');
    if (!wire.ok) throw new ResultError(`the task's result cannot be sent: ${wire.message}`);
    held.push({ type: 'done', id: req.id, value, nbytes: wire.nbytes, start, stop: Date.now(), ...(events !== undefined ? { events } : {}), ...(PROBE ? { hr: stamps(req.id, hr0) } : {}) });
    for (const b of transferables(value)) heldTransfer.push(b);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    // Strings whatever the task threw: the scheduler accepts nothing else in an error.
    held.push({ type: 'error', id: req.id, error: { name: String(e.name), message: String(e.message), stack: String(e.stack ?? e) }, start, stop: Date.now(), ...(PROBE ? { hr: stamps(req.id, hr0) } : {}) });
  } finally {
    current = null;
    (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] = undefined;
    const k = `${req.url}#${req.exportName}`;
    const ms = performance.now() - t0;
    const prev = meanMs.get(k);
    meanMs.set(k, prev === undefined ? ms : prev * 0.8 + ms * 0.2);
  }
}

/** A task's {@link HopStamps}, now that it ended (`started`: when it started). */
function stamps(id: number, started: number): HopStamps {
  const got = arrived.get(id) ?? started;
  arrived.delete(id);
  return [got, started, hrNow()];
}

/**
 * Large typed-array buffers of a result move to the main thread instead of being copied. The
 * task gives up its result: it must not keep using a returned array it holds elsewhere (e.g. in
 * module state) — return a copy of those. Small buffers are cheaper to copy than to reason about.
 */
function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      // Only whole, unshared buffers: transferring a view's buffer would detach its neighbours.
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.byteLength >= TRANSFER_MIN_BYTES) out.add(v.buffer);
      return;
    }
    if (Array.isArray(v)) for (const x of v.slice(0, 64)) visit(x, depth + 1);
    else for (const k of Object.keys(v).slice(0, 64)) visit((v as Record<string, unknown>)[k], depth + 1);
  };
  visit(value, 0);
  return [...out];
}

/** What an export that is not a function is, for the message: `a number (42)`, `an object`, `undefined`. */
function describeExport(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : `an object${v.constructor && v.constructor !== Object ? ` (${v.constructor.name})` : ''}`;
  const shown = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);
  return `a ${typeof v} (${shown})`;
}
