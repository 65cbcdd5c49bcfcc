import type { TaskRecord, WorkerRecord } from './records.js';

/**
 * What a worker's `missing-data {key, errantWorker, dependent}` is taken to say. The worker says
 * it could not fetch input `key` from any holder it was told of (`errantWorker`, the last it
 * tried) and dropped task `dependent`. Only that worker can say so of its own task: it is
 * believed when `dependent` runs on it and needs `key`. Then the holders of `key` at that address
 * are dropped and told to free their copy (the input is computed again if none is left), and a worker still registered at
 * that address may be a peer it cannot reach (unreachable-peers.ts). Any other report is ignored: believed,
 * any worker could have any result dropped from its holders and recomputed, and have every
 * client told of a cut link between two other workers. A report of its own task with another
 * key still gives that task back (the worker dropped it). Pure: the caller acts on the answer.
 */
export interface MissingDataVerdict {
  /** The dependent runs on the reporter: it was dropped there, and is placed again. */
  handBack: boolean;
  /** The input whose holders at the errant address are dropped; null when the report is not believed. */
  input: TaskRecord | null;
  /** The registered worker at the errant address, if it is not the reporter: a peer it may not reach. */
  peer: WorkerRecord | null;
  /** Why the report is ignored, for the log; null when it is believed. */
  ignored: string | null;
}

export function judgeMissingData(reporter: WorkerRecord, input: TaskRecord | undefined, dependent: TaskRecord | undefined, errantAddress: string,
  workerAt: (address: string) => WorkerRecord | undefined): MissingDataVerdict {
  const handBack = dependent !== undefined && dependent.state === 'processing' && dependent.processingOn === reporter;
  let ignored: string | null = null;
  if (dependent === undefined) ignored = 'it names no task of its own that needs it';
  else if (!handBack) ignored = `task ${dependent.key} is not running on it (${dependent.state}${dependent.processingOn ? ` on ${dependent.processingOn.name}` : ''})`;
  else if (input === undefined || !dependent.deps.includes(input)) ignored = `it is not an input of task ${dependent.key}`;
  if (ignored !== null) return { handBack, input: null, peer: null, ignored };
  const at = workerAt(errantAddress);
  const peer = at && at !== reporter && at.status !== 'gone' ? at : null;
  return { handBack, input: input!, peer, ignored: null };
}
