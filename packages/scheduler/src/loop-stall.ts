/**
 * What the scheduler says after its own event loop was stalled (the process stopped with
 * SIGSTOP or by a debugger, a paused VM, swapping, a long synchronous step): in its log and in the
 * dashboard's event log. Within the heartbeat TTL nothing is lost: the tick does not count the
 * stall against its workers. Beyond it, workers and clients, which drop a scheduler they have
 * heard nothing from for that same TTL, have dropped their connections and come back; said
 * plainly, since their "lost" lines alone read as if they had failed (found by the freeze trial).
 */
export function stalledText(stalledMs: number, heartbeatTtlMs: number): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const head = `the scheduler was stalled for ${seconds(stalledMs)} (the process stopped, or starved of CPU or memory)`;
  if (stalledMs < heartbeatTtlMs) return `${head}; not counted against its workers' heartbeats`;
  return `${head}, longer than the heartbeat TTL (--heartbeat-ttl, ${seconds(heartbeatTtlMs)}): its workers and clients, `
    + 'which drop a scheduler they hear nothing from for as long, dropped their connections and reconnect, '
    + 'registering again with the results they hold; tasks are assigned again once those that dropped it are back';
}

/**
 * What is said of a stall of `stalledMs` (beyond the tick's own slack), or undefined when it is
 * too short to be worth a line: half the TTL, where it starts to eat into the workers' heartbeats.
 * One rule for the dashboard's event log and the scheduler's own log.
 */
export function stallNote(stalledMs: number, heartbeatTtlMs: number): string | undefined {
  return stalledMs > heartbeatTtlMs / 2 ? stalledText(stalledMs, heartbeatTtlMs) : undefined;
}
