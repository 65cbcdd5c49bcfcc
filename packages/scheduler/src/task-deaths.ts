/**
 * How a `KilledWorker` message counts what a task ended: a worker process (the connection lost,
 * no heartbeat) or one of a worker's task threads (the task called `process.exit`, or its thread
 * ran out of memory), which the worker replaces while it runs on. Both count against
 * `--allowed-failures`; the message says which, since "killed 3 workers" for three threads
 * sent the reader looking for dead worker processes that were all still running.
 */
export function deathsText(processes: number, threads: number): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const killed = processes > 0 ? `killed ${plural(processes, 'worker')}` : '';
  const ended = threads > 0 ? `ended ${plural(threads, 'worker thread')}` : '';
  return [ended, killed].filter(Boolean).join(' and ');
}
