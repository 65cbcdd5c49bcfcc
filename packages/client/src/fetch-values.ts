/**
 * Fetching finished results that did not come inline with the scheduler's notice: from the
 * workers holding them, one request per worker, asking the scheduler again who holds them when
 * a holder is gone. The client hands in its peer pool and its two messages to the scheduler.
 */
import type { Message } from '@gluon/protocol';
import { ResultTooLargeError } from './errors.js';
import type { KeyState } from './future.js';
import type { PeerPool } from './peers.js';

/** Rounds of fetching a result before giving up (each round re-asks who holds it). */
const MAX_FETCH_ROUNDS = 20;

/** What {@link fetchValues} uses of its client. */
export interface FetchHost {
  /** The connections to the workers' data listeners. */
  readonly peers: PeerPool;
  /** These keys' values reached the client (not sent once the client is closed). */
  received(keys: string[]): void;
  /** Asks the scheduler who holds `keys` (`who-has`), surviving reconnects. */
  whoHas(keys: string[]): Promise<Message>;
}

/**
 * Values of finished keys: inline ones at once, the others from the workers that hold them
 * (grouped per worker). A holder that vanished is dropped and the scheduler asked again; a key
 * with no holder left goes back to pending and is fetched once it has been recomputed.
 */
export async function fetchValues(states: KeyState[], host: FetchHost): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  let lastFailure = '';
  for (let round = 0; ; round++) {
    await settleAll(states);
    const need: KeyState[] = [];
    for (const s of states) {
      if (s.status !== 'finished') throw s.failure();
      if (s.hasValue) out.set(s.key, s.value);
      else if (!need.includes(s)) need.push(s);
    }
    if (need.length === 0) return out;
    if (round >= MAX_FETCH_ROUNDS) {
      throw new Error(`could not fetch ${need[0]!.key}${need.length > 1 ? ` and ${need.length - 1} more` : ''} from the workers after ${round} attempts` +
        (lastFailure ? `; the last failure: ${lastFailure}` : ''));
    }
    if (round > 1) await new Promise((r) => setTimeout(r, Math.min(500, 10 * 2 ** round)));
    const byWorker = new Map<string, KeyState[]>();
    for (const s of need) {
      const addr = s.workers[Math.floor(Math.random() * s.workers.length)];
      if (addr === undefined) continue;
      let list = byWorker.get(addr);
      if (!list) byWorker.set(addr, (list = []));
      list.push(s);
    }
    await Promise.all([...byWorker].map(async ([addr, list]) => {
      try {
        const { data } = await host.peers.getData(addr, list.map((s) => s.key));
        const got: string[] = [];
        for (const s of list) {
          if (s.key in data) {
            s.setValue(data[s.key]);
            got.push(s.key);
          } else s.workers = s.workers.filter((w) => w !== addr);
        }
        // The scheduler need not recompute these for us should their workers die.
        if (got.length) host.received(got);
      } catch (err) {
        // Over a size limit: asking again (or another holder) cannot help.
        if (err instanceof ResultTooLargeError) throw err;
        lastFailure = `${addr}: ${(err as Error).message}`;
        host.peers.drop(addr);
        for (const s of list) s.workers = s.workers.filter((w) => w !== addr);
      }
    }));
    const orphans = need.filter((s) => !s.hasValue && s.workers.length === 0 && s.status === 'finished');
    if (orphans.length) await askWhoHas(orphans, host);
  }
}

/** Refreshes holders from the scheduler; keys it no longer has in memory go back to pending. */
async function askWhoHas(states: KeyState[], host: FetchHost): Promise<void> {
  const gens = states.map((s) => s.gen);
  const reply = await host.whoHas(states.map((s) => s.key));
  const whoHas = (reply.whoHas ?? {}) as Record<string, string[]>;
  states.forEach((s, i) => {
    if (s.gen !== gens[i] || s.status !== 'finished') return; // fresher news arrived meanwhile
    const addrs = whoHas[s.key] ?? [];
    if (addrs.length) s.workers = addrs;
    else s.reset(); // lost with its worker: the scheduler recomputes it and tells us
  });
}

/** Resolves when every state is settled; rejects at the first one that did not finish. */
function settleAll(states: KeyState[]): Promise<void> {
  let left = 0;
  for (const s of states) if (!s.done) left++;
  if (left === 0) {
    for (const s of states) if (s.status !== 'finished') return Promise.reject(s.failure());
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    for (const s of states) {
      if (s.done) {
        if (s.status !== 'finished' && !settled) {
          settled = true;
          reject(s.failure());
        }
        continue;
      }
      s.onSettled(() => {
        if (settled) return;
        if (s.status !== 'finished') {
          settled = true;
          reject(s.failure());
        } else if (--left === 0) {
          settled = true;
          resolve();
        }
      });
    }
  });
}
