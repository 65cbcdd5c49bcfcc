/** @gluon/worker: runs tasks in worker threads, stores results and serves them to peers. */
export { GluonWorker, lifetimeDelay, startWorker, type WorkerOptions } from './worker.js';
/** The reconnect schedule, shared with the client (kept here for existing importers). */
export { reconnectDelay } from '@gluon/protocol';
export {
  WorkerState, INLINE_RESULT_BYTES, type WorkerStateOptions, type WorkerEvent, type WorkerCommand, type ComputeTask,
  type FailureKind, type Priority,
} from './state.js';
export { checkModule, type AllowList, type AllowDecision } from './allow.js';
export { ThreadPool, type PoolTask, type PoolResult } from './pool.js';
export { substitute } from './refs.js';
export { estimateSize, typeNameOf } from './size.js';
export { WORKER_V8_FLAGS, restoreThreadNursery } from './v8-flags.js';
