/** @gluon/scheduler: the task graph, placement and cluster state, and its dashboard. */
export { Scheduler, startScheduler, type SchedulerOptions } from './server.js';
export { SchedulerState, DEFAULT_CONFIG, type Command, type SchedulerConfig } from './state.js';
export { TaskRecord, WorkerRecord, ClientRecord, runsBefore, type TaskState } from './records.js';
export type * from './dashboard/source.js';
export { SCHEDULER_V8_FLAGS } from './v8-flags.js';
// For launchers that start gluon-scheduler (gluon-cluster): a bad link refused before it starts, named as their user gave it.
export { checkDashboardLink } from './dashboard/link.js';
