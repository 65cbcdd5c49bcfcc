/** @gluon/worker: runs tasks in worker threads, stores results and serves them to peers. */
export { GluonWorker, startWorker, INLINE_RESULT_BYTES, type WorkerOptions } from './worker.js';
export { checkModule, type AllowList, type AllowDecision } from './allow.js';
export { ThreadPool, type PoolTask, type PoolResult } from './pool.js';
export { estimateSize, typeNameOf } from './size.js';
