import { TASK_CONTEXT_SYMBOL, type TaskContext } from '@gluon/protocol';

/**
 * Inside a running task: its key and worker, and `publish`/`report` for the dashboard.
 * Outside a task (e.g. the same code run serially in-process) it returns undefined.
 */
export function taskContext(): TaskContext | undefined {
  return (globalThis as Record<symbol, unknown>)[TASK_CONTEXT_SYMBOL] as TaskContext | undefined;
}

export type { TaskContext };
