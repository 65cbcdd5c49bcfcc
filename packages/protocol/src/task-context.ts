/**
 * The context a worker thread provides to the task it is running. Tasks reach it through
 * `taskContext()` from @gluon/client; the key is a registered symbol so no module identity is
 * needed to find it.
 */
export const TASK_CONTEXT_SYMBOL: unique symbol = Symbol.for('gluon.taskContext') as never;

export interface TaskContext {
  /** The running task's key. */
  key: string;
  /** The worker's name. */
  worker: string;
  /** Publishes a value on a topic of the dashboard's Results panel. */
  publish(topic: string, value: unknown): void;
  /** Reports metrics of this task, e.g. `{events: 100000}` for events/s on the dashboard. */
  report(metrics: { events?: number }): void;
}
