// How the page names workers. Everything is keyed by the scheduler's worker id (one per
// registration), not the name: two hosts started with the same `--name`, or a worker and its
// restart under the same name while the old one is still listed, are two workers. Each is shown
// by its name, and where workers the page knows (live or gone) share a name, by its name and id
// (`node (id w3)`), so their task-stream rows, event-log lines and memory series are told apart.
// The id is said to be one: ids are `w1`, `w2`, … by registration, the names people give their
// workers too, and a restarted worker named w2 read `w2 (w1) retires` in the event log.
// Pure: no DOM, so the shaping is tested under Node (test/units/worker-labels.ts).

/**
 * Labels by worker id for the workers the page knows (the feed's rows, live and gone): the name,
 * or `name (id ID)` when another known worker has that name.
 */
export function workerLabels(workers) {
  const list = [...workers];
  const count = new Map();
  for (const w of list) count.set(w.name, (count.get(w.name) ?? 0) + 1);
  return new Map(list.map((w) => [w.id, count.get(w.name) > 1 ? `${w.name} (id ${w.id})` : w.name]));
}

/** A worker's label: by its id; an id the page never had a row for (or a name or an address, from a source without ids) stands as itself. */
export function labelOf(labels, id) {
  return labels.get(id) ?? id;
}

/**
 * The task stream's rows for its bars (`[worker id, thread, …, kind, …]`, see StreamBar in
 * src/dashboard/aggregate.ts): `keys` (by worker id and thread, or `transfers`: what a bar is
 * placed by) and `labels` (what the axis shows), sorted by label so a worker's thread rows, then
 * its transfers row, come together, and workers in name order.
 */
export function streamRows(bars, labels) {
  const rows = new Map();
  for (const b of bars) {
    const key = streamRowKey(b);
    if (!rows.has(key)) rows.set(key, `${labelOf(labels, b[0])} ${b[5] === 1 ? 'transfers' : `#${b[1]}`}`);
  }
  const sorted = [...rows].sort((a, b) => a[1].localeCompare(b[1], undefined, { numeric: true }) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { keys: sorted.map(([k]) => k), labels: sorted.map(([, l]) => l) };
}

/**
 * A bar's row: transfers (kind 1) get one row per receiving worker; tasks one per worker thread.
 * Only kind decides: a task bar with thread -1 (a result the worker already had) stays a task row.
 */
export function streamRowKey(bar) {
  return bar[5] === 1 ? `${bar[0]}\u0000transfers` : `${bar[0]}\u0000${bar[1]}`;
}

/**
 * An event-log entry's text in parts: strings, and `{id, label}` for each worker it names (the
 * entry's `workers`: id, name and where the name stands), for the page to link. A worker whose
 * name is not where the entry says stays plain text.
 */
export function logParts(entry, labels) {
  const named = (entry.workers ?? []).slice().sort((a, b) => a.at - b.at);
  const out = [];
  let pos = 0;
  for (const w of named) {
    if (w.at < pos || entry.text.slice(w.at, w.at + w.name.length) !== w.name) continue;
    if (w.at > pos) out.push(entry.text.slice(pos, w.at));
    out.push({ id: w.id, label: labels.get(w.id) ?? w.name });
    pos = w.at + w.name.length;
  }
  if (pos < entry.text.length || out.length === 0) out.push(entry.text.slice(pos));
  return out;
}

/** Most gone workers the page keeps, as the scheduler's feed does (AggregatorLimits.maxGoneWorkers). */
export const MAX_GONE_KEPT = 100;

/**
 * Forgets the gone workers of a page's `Map` of rows (by id) beyond the `max` most recently seen.
 * The feed only adds rows: on a cluster whose workers come and go, a page left open kept every
 * one, and labelled live workers apart from long-gone ones of their name.
 */
export function forgetGoneWorkers(workers, max = MAX_GONE_KEPT) {
  const gone = [...workers.values()].filter((w) => !w.alive);
  if (gone.length <= max) return;
  gone.sort((a, b) => a.lastSeen - b.lastSeen);
  for (const w of gone.slice(0, gone.length - max)) workers.delete(w.id);
}
