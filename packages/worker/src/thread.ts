/**
 * The body of a worker thread: imports task modules (cached), runs tasks one at a time and
 * posts results back. It holds no state between tasks beyond the module cache.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TASK_CONTEXT_SYMBOL, type TaskContext } from '@gluon/protocol';
import { substitute } from './refs.js';

export interface RunRequest {
  type: 'run';
  id: number;
  key: string;
  url: string;
  exportName: string;
  args: unknown[];
  /** Values of the task's dependencies, substituted for the `{__gluonRef: key}`s in `args`. */
  data: Record<string, unknown>;
}

export type ThreadReply =
  | { type: 'done'; id: number; value: unknown; start: number; stop: number; events?: number }
  | { type: 'error'; id: number; error: { name: string; message: string; stack: string }; start: number; stop: number }
  | { type: 'publish'; topic: string; value: unknown };

const port = parentPort!;
const workerName = (workerData as { worker: string }).worker;
const modules = new Map<string, Promise<Record<string, unknown>>>();
const queue: RunRequest[] = [];
let running = false;
let tsxRegistered: Promise<void> | null = null;

port.on('message', (m: RunRequest) => {
  queue.push(m);
  if (!running) void drain();
});

async function drain(): Promise<void> {
  running = true;
  while (queue.length) await run(queue.shift()!);
  running = false;
}

function load(url: string): Promise<Record<string, unknown>> {
  let p = modules.get(url);
  if (!p) {
    p = (/\.(c|m)?tsx?$/.test(url) ? registerTsx() : Promise.resolve()).then(() => import(url) as Promise<Record<string, unknown>>);
    modules.set(url, p);
    p.catch(() => modules.delete(url));
  }
  return p;
}

/** TypeScript task modules (a script run with tsx) load through tsx when it is installed. */
function registerTsx(): Promise<void> {
  tsxRegistered ??= import('tsx/esm/api').then(
    (m: { register: () => unknown }) => void m.register(),
    () => {
      throw new Error('this task module is TypeScript; install tsx where the worker runs, or compile the module to JavaScript');
    },
  );
  return tsxRegistered;
}

async function run(req: RunRequest): Promise<void> {
  const start = Date.now();
  let events: number | undefined;
  const ctx: TaskContext = {
    key: req.key,
    worker: workerName,
    publish: (topic, value) => port.postMessage({ type: 'publish', topic, value } satisfies ThreadReply),
    report: (m) => {
      if (typeof m.events === 'number') events = (events ?? 0) + m.events;
    },
  };
  (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] = ctx;
  try {
    const mod = await load(req.url);
    const fn = mod[req.exportName];
    if (typeof fn !== 'function') {
      throw new TypeError(`module ${req.url} has no exported function "${req.exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'})`);
    }
    const value = await (fn as (...a: unknown[]) => unknown)(...substitute(req.args, req.data));
    const reply: ThreadReply = { type: 'done', id: req.id, value, start, stop: Date.now(), ...(events !== undefined ? { events } : {}) };
    try {
      port.postMessage(reply, transferables(value));
    } catch (err) {
      throw new TypeError(`task ${req.key} returned a value that cannot leave its thread: ${(err as Error).message}`);
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ type: 'error', id: req.id, error: { name: e.name, message: e.message, stack: e.stack ?? String(e) }, start, stop: Date.now() } satisfies ThreadReply);
  } finally {
    (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] = undefined;
  }
}

/** Typed-array buffers of a fresh result move to the main thread instead of being copied. */
function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      // Only whole, unshared buffers: transferring a view's buffer would detach its neighbours.
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
      return;
    }
    if (Array.isArray(v)) for (const x of v.slice(0, 64)) visit(x, depth + 1);
    else for (const k of Object.keys(v).slice(0, 64)) visit((v as Record<string, unknown>)[k], depth + 1);
  };
  visit(value, 0);
  return [...out];
}
