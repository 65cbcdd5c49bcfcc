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
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { TaskContext } from '@gluon/protocol';
import { checkWire, MAX_INLINE_RESULT_BYTES } from '@gluon/protocol/values';
import { claim } from './claim.js';
import { substitute } from './refs.js';
import { withImportHint } from './import-hint.js';
import { withSyntaxLocation } from './syntax-location.js';
import { describeThrown, type ThrownError } from './thrown.js';

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
  /** Dependencies kept as their wire encoding (a result encoded here, or one fetched so): decoded into `data` first. */
  encoded?: Record<string, Uint8Array>;
}

/** What the main thread posts: a batch of tasks. */
export interface RunBatch {
  type: 'run';
  tasks: RunRequest[];
}

export type TaskReply =
  /**
   * `nbytes`: the result's estimated wire size, from the walk that checked it can be sent; with
   * `encoded`, `value` is the result's wire encoding (its buffer moved here) and `nbytes` its length.
   */
  | { type: 'done'; id: number; value: unknown; nbytes: number; start: number; stop: number; events?: number; hr?: HopStamps; encoded?: true }
  | { type: 'error'; id: number; error: ThrownError; start: number; stop: number; hr?: HopStamps };

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
 * A result of at least this many members (containers and leaves, checkWire's count) and over the
 * inline bound leaves its thread as its wire encoding, made here, its buffer moved rather than
 * copied; the main thread stores and serves the bytes as they are. A structured clone made every
 * object again on the main thread, whose small nursery (v8-flags.ts) then spent seconds in GC: a
 * million records took ~2.5 s of the main thread and ~0.5 s here, the encoding ~0.15 s here and
 * nothing there (docs/internals.md, "Results of many small records"). Fewer members clone
 * cheaply, and a typed array (one member) is moved as it is.
 */
const ENCODE_MIN_MEMBERS = 1024;

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
/** When this thread began importing each module (ms since the epoch), to tell an edit made since. */
const importedAt = new Map<string, number>();
/**
 * Recent mean duration per module URL and export, ms. Two levels rather than one key
 * `url#export`: that key was a new string built (and hashed) twice a task.
 */
const meanMs = new Map<string, Map<string, number>>();

/** The recent mean duration of the task's export, ms (undefined before its first run). */
function meanOf(req: RunRequest): number | undefined {
  return meanMs.get(req.url)?.get(req.exportName);
}
const queue: RunRequest[] = [];
let held: TaskReply[] = [];
let heldTransfer: ArrayBuffer[] = [];
let running = false;
let current: RunRequest | null = null;
let tsxRegistered: Promise<boolean> | null = null;
/**
 * The wire codec (msgpackr), loaded on first need: a thread whose results all clone cheaply never
 * loads it (it adds ~20 ms to a thread's start).
 */
let codec: typeof import('@gluon/protocol/codec') | undefined;
let codecLoading: Promise<void> | undefined;
function loadCodec(): Promise<void> {
  codecLoading ??= import('@gluon/protocol/codec').then((m) => { codec = m; });
  return codecLoading;
}
/** `GLUON_HOP_PROBE` is set (and not blank, as protocol's hop-probe.ts reads it): stamp each task (see {@link HopStamps}). */
const PROBE = !!process.env.GLUON_HOP_PROBE?.trim();
const hrNow = (): number => Number(process.hrtime.bigint());
/** Task id → when it arrived, while the probe is on. */
const arrived = new Map<number, number>();

port.on('message', (m: RunBatch) => {
  if (PROBE) for (const t of m.tasks) arrived.set(t.id, hrNow());
  for (const t of m.tasks) queue.push(t);
  if (!running) drain();
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

/**
 * Runs the queued tasks in order. A task whose module is loaded and whose function returns a
 * plain value runs without a promise of its own; one that must wait (its module loading, a
 * promise returned) holds the queue until it settles, and the drain goes on from there. Between
 * two tasks the microtasks the first left behind run, as an `await` between them let them (what
 * they do may be what the next task reads); after the last task of the queue its result is
 * posted first, and they run after: the main thread has the result that much sooner
 * (bench/scheduler.ts (b), docs/internals.md "(b): the worker's and the client's windows").
 */
function drain(): void {
  running = true;
  while (queue.length) {
    const req = queue.shift()!;
    const waiting = claim(cursor, req.seq) ? run(req) : undefined;
    if (waiting) {
      void waiting.then(afterWait);
      return;
    }
    if (queue.length === 0) break;
    flushUnlessShortNext();
    void settled.then(drain);
    return;
  }
  flush();
  running = false;
}

/** A settled promise, for {@link drain}'s turn between two tasks. */
const settled = Promise.resolve();

/** After a task that waited: its result goes (unless the next is short too), and the queue goes on. */
function afterWait(): void {
  flushUnlessShortNext();
  drain();
}

/** Posts the held results, unless the next queued task is known to be short (and few are held). */
function flushUnlessShortNext(): void {
  const next = queue[0];
  if (!next || held.length >= MAX_HELD || !((meanOf(next) ?? Infinity) < FAST_MS)) flush();
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
    importedAt.set(url, Date.now());
    p = (/\.(c|m)?tsx?$/.test(url) ? typeScriptLoader(url) : Promise.resolve())
      .then(() => import(url) as Promise<Record<string, unknown>>)
      .catch(async (err: unknown) => { throw withImportHint(await withSyntaxLocation(err, url)); });
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

/** A task while it runs: when it started and what it reported. */
interface Running {
  req: RunRequest;
  start: number;
  t0: number;
  hr0: number;
  events: number | undefined;
}

/**
 * Runs one task and holds its result (or error) for {@link flush}. Returns undefined when it is
 * done, or a promise (never rejected) when it waits for its module or for the promise it returned;
 * the task's context stays set until then.
 */
function run(req: RunRequest): Promise<void> | undefined {
  const t: Running = { req, start: Date.now(), t0: performance.now(), hr0: PROBE ? hrNow() : 0, events: undefined };
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
      if (typeof m.events === 'number' && Number.isFinite(m.events)) t.events = (t.events ?? 0) + m.events;
    },
  };
  current = req;
  (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] = ctx;
  let value: unknown;
  try {
    const mod = loaded.get(req.url);
    if (mod === undefined || (req.encoded && !codec)) return runLoading(t);
    if (req.encoded) decodeDeps(req);
    value = call(mod, req);
    // In the try: a `then` getter that throws fails the task, as it did when the task was awaited.
    if (isThenable(value)) return settle(t, value);
  } catch (err) {
    failed(t, err);
    return undefined;
  }
  return finished(t, value);
}

/** Whether a task's value is a promise (or any thenable) to wait for. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** A task whose module (or, for its encoded dependencies, the codec) is not loaded yet: loads it, then runs the task. */
async function runLoading(t: Running): Promise<void> {
  let value: unknown;
  try {
    const mod = await load(t.req.url);
    if (t.req.encoded) {
      await loadCodec();
      decodeDeps(t.req);
    }
    value = call(mod, t.req);
    if (isThenable(value)) value = await value;
  } catch (err) {
    failed(t, err);
    return;
  }
  await finished(t, value);
}

/** Decodes the task's encoded dependencies into its data (the codec is loaded). */
function decodeDeps(req: RunRequest): void {
  for (const [key, bytes] of Object.entries(req.encoded!)) {
    try {
      req.data[key] = codec!.decodeValue(bytes);
    } catch (err) {
      throw new Error(`dependency ${key} (${bytes.length} encoded bytes) does not decode: ${(err as Error).message}`);
    }
  }
  delete req.encoded;
}

/** A task that returned a promise: waits for it. */
async function settle(t: Running, pending: PromiseLike<unknown>): Promise<void> {
  let value: unknown;
  try {
    value = await pending;
  } catch (err) {
    failed(t, err);
    return;
  }
  await finished(t, value);
}

/** Calls the task's export; throws when it is not a function. */
function call(mod: Record<string, unknown>, req: RunRequest): unknown {
  const fn = mod[req.exportName];
  if (typeof fn !== 'function') {
    // An export that is there but is not a function is named as such: "has no exported
    // function X (exports: …, X, …)" listed the very name it said was missing.
    throw new TypeError((Object.hasOwn(mod, req.exportName)
      ? `module ${req.url} exports "${req.exportName}", but it is ${describeExport(fn)}, not a function; a task names an exported function`
      : `module ${req.url} has no exported function "${req.exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'})`) + editedSince(req.url));
  }
  return (fn as (...a: unknown[]) => unknown)(...substitute(req.args, req.data));
}

/**
 * `; …` when the module's file was modified after this thread imported it, else ''. A thread keeps
 * the module it imported (Node cannot unload one), so a worker started before an edit said only
 * that the new export was missing, naming the file that has it.
 */
function editedSince(url: string): string {
  const at = importedAt.get(url);
  if (at === undefined || !url.startsWith('file:')) return '';
  let modified: number;
  try { modified = statSync(fileURLToPath(url)).mtimeMs; } catch { return ''; }
  if (modified <= at) return '';
  return `; the file was modified (${new Date(modified).toISOString()}) after this thread imported it (${new Date(at).toISOString()}), `
    + 'and a worker runs a module as it first imported it, for its threads\' life: restart the worker to run the edited file';
}

/**
 * The task returned `value`: held if it can travel, else the task fails with why. A result of many
 * members is held as its encoding ({@link ENCODE_MIN_MEMBERS}); returns a promise when the codec
 * must load first.
 */
function finished(t: Running, value: unknown): Promise<void> | undefined {
  let nbytes: number;
  let transfer: ArrayBuffer[] = [];
  try {
    // Checked here, where class prototypes are still visible (a structured clone to the main
    // thread would turn a class instance into a plain object) and where a failure is the task's
    // (a getter on the result may throw while it is walked).
    const wire = checkWire(value, 'result');
    if (!wire.ok) throw new ResultError(`the task's result cannot be sent: ${wire.message}`);
    if (wire.members >= ENCODE_MIN_MEMBERS && wire.nbytes > MAX_INLINE_RESULT_BYTES) {
      if (!codec) return loadCodec().then(() => finishedEncoded(t, value), (err: unknown) => failed(t, err));
      return finishedEncoded(t, value);
    }
    nbytes = wire.nbytes;
    if (value !== null && typeof value === 'object') transfer = transferables(value);
  } catch (err) {
    failed(t, err);
    return undefined;
  }
  hold(t, value, nbytes, transfer, false);
  return undefined;
}

/**
 * Holds a checked result of many members as its wire encoding, in a buffer of its own that is
 * moved to the main thread; `nbytes` is its exact length. Never inline, even when it encodes
 * within the inline bound (small integers take a byte, not the nine checkWire counts): inlining
 * goes by the estimate, which is over it, as the scheduler measures what it is sent the same way.
 */
function finishedEncoded(t: Running, value: unknown): undefined {
  let bytes: Uint8Array;
  try {
    // The codec's output is a view of its shared buffer: copied into one of its own to be moved.
    bytes = Uint8Array.prototype.slice.call(codec!.encodeValue(value));
  } catch (err) {
    failed(t, new ResultError(`the task's result cannot be encoded: ${(err as Error).message}`));
    return undefined;
  }
  hold(t, bytes, bytes.length, [bytes.buffer as ArrayBuffer], true);
  return undefined;
}

/** Holds a task's result for {@link flush}. */
function hold(t: Running, value: unknown, nbytes: number, transfer: ArrayBuffer[], encoded: boolean): void {
  const { req, start, events } = t;
  held.push({
    type: 'done', id: req.id, value, nbytes, start, stop: Date.now(), ...(events !== undefined ? { events } : {}), ...(PROBE ? { hr: stamps(req.id, t.hr0) } : {}),
    ...(encoded ? { encoded: true as const } : {}),
  });
  for (const b of transfer) heldTransfer.push(b);
  ended(t);
}

/** The task threw (or its promise rejected, or its module did not load): its error is held. */
function failed(t: Running, err: unknown): void {
  // Strings whatever the task threw: the scheduler accepts nothing else in an error.
  held.push({ type: 'error', id: t.req.id, error: describeThrown(err), start: t.start, stop: Date.now(), ...(PROBE ? { hr: stamps(t.req.id, t.hr0) } : {}) });
  ended(t);
}

/** After a task, done or failed: no context is set, and its export's mean duration is updated. */
function ended(t: Running): void {
  current = null;
  (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] = undefined;
  const ms = performance.now() - t.t0;
  let byExport = meanMs.get(t.req.url);
  if (!byExport) meanMs.set(t.req.url, (byExport = new Map()));
  const prev = byExport.get(t.req.exportName);
  byExport.set(t.req.exportName, prev === undefined ? ms : prev * 0.8 + ms * 0.2);
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
