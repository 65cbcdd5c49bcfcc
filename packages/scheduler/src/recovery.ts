import { MAX_KEY_LENGTH } from '@gluon/protocol';

/**
 * What the scheduler remembers to get work back instead of recomputing it, after a worker or the
 * scheduler itself went away and came back. Pure bookkeeping (no messages, no clock of its own):
 * {@link SchedulerState} asks it and acts on the answers.
 *
 * - **Orphans**: results a worker holds for keys the scheduler has no task for (claims of keys
 *   with no task, bounded: see {@link Recovery.admits}), or for tasks here that nothing needs yet
 *   (lineage.ts keptAsOrphan: believed claims of known tasks, neither bounded nor counted as the
 *   first kind, nor dropped for a new client's graph as those are: see {@link Recovery.claimedUnknown}). After a scheduler restart every result comes back
 *   this way (the workers re-register first); the clients then re-send their graphs and each task
 *   whose key is an orphan is taken from its holder instead of run. Orphans nobody claims within
 *   `orphanGraceMs` are freed on their workers.
 * - **Expected workers**: a reconnecting client names the workers its previous scheduler had told
 *   it of, and those it saw results on (see {@link holderWait}). Until those have re-registered
 *   (at most `holderWaitMs`), no task is given out, so nothing they hold or still run is computed
 *   a second time merely because the client reconnected first; that includes results the client
 *   never heard of, finished on a slow worker just before the old scheduler died. The wait is
 *   for a restart's workers: it ends `holderWaitMs` after the first client named any, however
 *   many clients name more, and names given after it hold nothing. Otherwise one client naming
 *   workers that never come (a hostile one, or a confused one) would hold every client's tasks
 *   for as long as it kept sending them.
 * - **Late running tasks**: a re-registering worker names the tasks it still runs from before;
 *   they are not given out again while it lives, and their results are taken when they come.
 */
export interface RecoveryConfig {
  /** How long results of unknown keys are kept on workers for a client to re-send their task. */
  orphanGraceMs: number;
  /**
   * Most claims of keys with no task here kept at once (orphans, and tasks said to be running
   * from before): see {@link Recovery.admits}.
   */
  maxOrphans: number;
  /** How long task assignment waits for the workers a reconnecting client names (see {@link holderWait}). */
  holderWaitMs: number;
}

interface Orphan {
  since: number;
  /** Holding worker id → result size in bytes. */
  holders: Map<string, number>;
  /** First claimed while this scheduler had no task of its key (a claim of a key with no task). */
  unknown: boolean;
}

export class Recovery {
  private readonly orphans = new Map<string, Orphan>();
  /** Worker id → its orphan keys, so a leaving worker's entries go at once. */
  private readonly byWorker = new Map<string, Set<string>>();
  /**
   * Awaited worker addresses, not registered yet → the clients that named them (see
   * expectNamed), or null when awaited after this scheduler's own stall (see expectWorkers).
   */
  private readonly expected = new Map<string, Set<string> | null>();
  private expectedUntil = 0;
  /** When the wait for the workers reconnecting clients name ends; set by the first such name. */
  private namedUntil: number | undefined;
  /** Key → the worker that said (in its hello) it still runs it from before it re-registered. */
  private readonly running = new Map<string, string>();
  private readonly runningOn = new Map<string, Set<string>>();
  /** Results taken from workers instead of being computed (orphans claimed, late results kept). */
  adopted = 0;
  /** Claims of unknown keys dropped for a new client's task of that key (see {@link disown}). */
  disowned = 0;
  /** Keys a worker said it still runs while this scheduler had no task of them (see {@link disown}). */
  private readonly lateUnknown = new Set<string>();
  /** Characters of the keys kept for claims of unknown keys (see {@link admits}). */
  private unknownChars = 0;
  /** Orphans whose key had no task here when first claimed (see {@link Orphan.unknown}). */
  private unknownOrphans = 0;

  constructor(readonly config: RecoveryConfig) {}

  /**
   * Whether one more claim of a key this scheduler has no task for may be kept. Such claims come
   * from workers (their `holding` after a restart, or a late result) in messages of up to the
   * message budget (1 GiB), and each one kept costs ~300 bytes besides its key: a worker claiming
   * millions of short made-up keys held several times the message's size here for the orphan
   * grace, and came back to claim them again. Kept while fewer than `maxOrphans` are and their
   * keys are under {@link MAX_UNKNOWN_KEY_CHARS} characters together; a key over
   * {@link MAX_UNKNOWN_KEY} characters never is. What is not kept is freed on its worker and,
   * if a client re-sends its task, computed again.
   */
  admits(key: string): boolean {
    return key.length <= MAX_UNKNOWN_KEY && this.unknownOrphans + this.lateUnknown.size < this.config.maxOrphans
      && this.unknownChars + key.length <= MAX_UNKNOWN_KEY_CHARS;
  }

  /** Orphan keys currently kept, of both kinds, for tests and the log. */
  get orphanCount(): number {
    return this.orphans.size;
  }

  /** Of {@link orphanCount}, the keys that had no task here when claimed (those {@link admits} bounds). */
  get unknownOrphanCount(): number {
    return this.unknownOrphans;
  }

  /**
   * A worker holds `key`'s result, and nothing here takes it (yet): `taskKnown`, a task of that key
   * is here (nothing needs it yet: lineage.ts keptAsOrphan); otherwise there is none, and the claim
   * counts against {@link admits}.
   */
  addOrphan(key: string, workerId: string, nbytes: number, now: number, taskKnown: boolean): void {
    let o = this.orphans.get(key);
    if (!o) {
      this.orphans.set(key, (o = { since: now, holders: new Map(), unknown: !taskKnown }));
      if (!taskKnown) {
        this.unknownOrphans++;
        this.unknownChars += key.length;
      }
    }
    o.holders.set(workerId, nbytes);
    let keys = this.byWorker.get(workerId);
    if (!keys) this.byWorker.set(workerId, (keys = new Set()));
    keys.add(key);
  }

  /** How many orphans a worker holds. */
  orphansOf(workerId: string): number {
    return this.byWorker.get(workerId)?.size ?? 0;
  }

  /** Whether `key`'s result is held by a worker as an orphan (cheap when there are none). */
  hasOrphan(key: string): boolean {
    return this.orphans.size > 0 && this.orphans.has(key);
  }

  /** The holders of an orphan (worker id → nbytes), which stops being an orphan; undefined if none. */
  takeOrphan(key: string): Map<string, number> | undefined {
    const o = this.orphans.get(key);
    if (!o) return undefined;
    this.forgetOrphan(key);
    for (const w of o.holders.keys()) this.byWorker.get(w)?.delete(key);
    return o.holders;
  }

  private forgetOrphan(key: string): void {
    const o = this.orphans.get(key);
    if (!o) return;
    this.orphans.delete(key);
    if (o.unknown) {
      this.unknownOrphans--;
      this.unknownChars -= key.length;
    }
  }

  /**
   * A re-registering worker is still running these tasks, given out before it reconnected;
   * `unknown`: this scheduler has no task of them (counted against {@link admits}).
   */
  expectLate(workerId: string, keys: string[], unknown = false): void {
    if (keys.length === 0) return;
    let on = this.runningOn.get(workerId);
    if (!on) this.runningOn.set(workerId, (on = new Set()));
    for (const k of keys) {
      on.add(k);
      this.running.set(k, workerId);
      if (unknown && !this.lateUnknown.has(k)) {
        this.lateUnknown.add(k);
        this.unknownChars += k.length;
      }
    }
  }

  private forgetLate(key: string): void {
    this.running.delete(key);
    if (this.lateUnknown.delete(key)) this.unknownChars -= key.length;
  }

  /**
   * Whether the claims on `key` were all made while this scheduler had no task of it: results
   * held from before a restart (orphans) or a task said to be running from before. Such claims
   * serve a reconnecting client re-sending its graph; for any other client's new task of that key
   * they are {@link disown}ed instead (see SchedulerState.compute). An orphan of a task known here
   * is not such a claim: it was judged against that task (worker-claims.ts), and is taken.
   */
  claimedUnknown(key: string): boolean {
    if (this.orphans.size > 0 && this.orphans.get(key)?.unknown === true) return true;
    return this.lateUnknown.size > 0 && this.lateUnknown.has(key);
  }

  /**
   * Drops every claim of unknown `key` (see {@link claimedUnknown}): returns the workers to tell
   * to drop it (its orphan holders, and the worker said to run it).
   */
  disown(key: string): string[] {
    const workers = [...(this.orphans.get(key)?.holders.keys() ?? [])];
    for (const w of workers) this.byWorker.get(w)?.delete(key);
    this.forgetOrphan(key);
    if (this.lateUnknown.has(key)) {
      const w = this.running.get(key);
      if (w !== undefined) {
        this.runningOn.get(w)?.delete(key);
        if (!workers.includes(w)) workers.push(w);
      }
      this.forgetLate(key);
    }
    return workers;
  }

  /**
   * Whether `key` (finished or failed on `workerId`) is one it announced as running; the entry
   * is consumed. For a key with no task here, yes means a result from before a restart (an
   * orphan); no means a task this scheduler forgot (released, cancelled) that nobody wants.
   */
  takeLate(workerId: string, key: string): boolean {
    if (this.running.size === 0 || this.running.get(key) !== workerId) return false;
    this.forgetLate(key);
    this.runningOn.get(workerId)?.delete(key);
    return true;
  }

  /** Whether a registered worker still runs `key` from before (so computing it again is waste). */
  isRunningSomewhere(key: string): boolean {
    return this.running.size > 0 && this.running.has(key);
  }

  /** A worker left: its orphans go with it; returns the keys it was still running from before. */
  workerGone(workerId: string): string[] {
    const wasRunning = [...(this.runningOn.get(workerId) ?? [])];
    this.runningOn.delete(workerId);
    for (const k of wasRunning) if (this.running.get(k) === workerId) this.forgetLate(k);
    return wasRunning.concat(this.dropOrphansOf(workerId));
  }

  /** Forgets a leaving worker's orphans; returns nothing to compute (they were not claimed). */
  private dropOrphansOf(workerId: string): string[] {
    const keys = this.byWorker.get(workerId);
    if (!keys) return [];
    this.byWorker.delete(workerId);
    for (const key of keys) {
      const o = this.orphans.get(key);
      if (!o) continue;
      o.holders.delete(workerId);
      if (o.holders.size === 0) this.forgetOrphan(key);
    }
    return [];
  }

  /** Orphans kept longer than the grace period, per worker id, to be freed there; forgotten here. */
  expireOrphans(now: number): Map<string, string[]> {
    const free = new Map<string, string[]>();
    for (const [key, o] of this.orphans) {
      if (now - o.since <= this.config.orphanGraceMs) continue;
      this.forgetOrphan(key);
      for (const w of o.holders.keys()) {
        this.byWorker.get(w)?.delete(key);
        let list = free.get(w);
        if (!list) free.set(w, (list = []));
        list.push(key);
      }
    }
    return free;
  }

  /**
   * Workers that dropped this scheduler during a stall of its own, not re-registered: hold all
   * task assignments until they have (or `holderWaitMs` passed), so what they hold or still run
   * is taken back rather than computed a second time.
   */
  expectWorkers(addresses: string[], now: number): void {
    if (addresses.length === 0) return;
    for (const a of addresses) this.expected.set(a, null);
    this.expectedUntil = Math.max(this.expectedUntil, now + this.config.holderWaitMs);
  }

  /**
   * A reconnecting client (`client`) named these workers, which have not re-registered: hold all
   * task assignments until they have, for at most `holderWaitMs` after the first client named
   * any (see the class comment). Returns false, awaiting nothing, once that wait has ended.
   */
  expectNamed(addresses: string[], client: string, now: number): boolean {
    if (addresses.length === 0) return true;
    this.namedUntil ??= now + this.config.holderWaitMs;
    if (now > this.namedUntil) return false;
    for (const a of addresses) {
      const namers = this.expected.get(a);
      if (namers === undefined) this.expected.set(a, new Set([client]));
      else namers?.add(client);
    }
    this.expectedUntil = Math.max(this.expectedUntil, this.namedUntil);
    return true;
  }

  /** When the wait for the workers reconnecting clients name ended (or ends); undefined before any was named. */
  get namedWaitEnd(): number | undefined {
    return this.namedUntil;
  }

  /** Whether assignments are on hold (see {@link expectWorkers}). */
  get holding(): boolean {
    return this.expected.size > 0;
  }

  /** Whether the worker at `address` is awaited (see {@link expectWorkers}, {@link expectNamed}). */
  awaits(address: string): boolean {
    return this.expected.size > 0 && this.expected.has(address);
  }

  /** A worker registered at `address`; true when that ends the hold. */
  workerBack(address: string): boolean {
    return this.expected.delete(address) && this.expected.size === 0;
  }

  /**
   * At the deadline the hold ends even if some workers never came back: those, each with the
   * clients that named it (null: awaited after a stall, see expectWorkers). Empty while it lasts.
   */
  expireHold(now: number): Array<{ address: string; namedBy: ReadonlySet<string> | null }> {
    if (this.expected.size === 0 || now <= this.expectedUntil) return [];
    const missing = [...this.expected].map(([address, namedBy]) => ({ address, namedBy }));
    this.expected.clear();
    return missing;
  }
}

/**
 * Characters of one key with no task here at most, for its claim to be kept (see Recovery.admits):
 * the protocol's bound on every key (a connection refuses a longer one), checked again here for
 * callers that are not connections.
 */
export const MAX_UNKNOWN_KEY = MAX_KEY_LENGTH;
/** Characters of all kept claims' keys with no task here together at most (see Recovery.admits). */
export const MAX_UNKNOWN_KEY_CHARS = 64 * 1024 * 1024;

/** What a reconnecting client's hints come to: whom to wait for, whom to tell the client has left. */
export interface HolderWait {
  /** Named, neither registered nor seen leaving: assignment waits for them (bounded). */
  missing: string[];
  /** Those of `missing` the client saw results on (the rest it only knew of), for the log. */
  seenOn: string[];
  /** Named, seen leaving and not back: not waited for; the client is told they left. */
  left: string[];
}

/**
 * The workers a reconnecting client names (where it saw results, `held`, and every worker it
 * knew of, `workers`) against those registered here (`live`) and those seen leaving (`gone`).
 * A registered worker said what it holds; one seen leaving is not coming back with anything to
 * wait for (a client that only lost its link names it too); any other was lost with a restarted
 * scheduler, or has yet to reconnect.
 */
export function holderWait(held: Record<string, string[]> | undefined, workers: readonly string[] | undefined, live: ReadonlySet<string>, gone: ReadonlySet<string>): HolderWait {
  const seen = new Set<string>();
  if (held) for (const addresses of Object.values(held)) for (const a of addresses) seen.add(a);
  const named = new Set(seen);
  if (workers) for (const a of workers) named.add(a);
  const wait: HolderWait = { missing: [], seenOn: [], left: [] };
  for (const a of named) {
    if (live.has(a)) continue;
    if (gone.has(a)) wait.left.push(a);
    else {
      wait.missing.push(a);
      if (seen.has(a)) wait.seenOn.push(a);
    }
  }
  return wait;
}

/** Addresses for a log line: the first ten, and how many more (a client may name any number). */
export function addressList(xs: readonly string[]): string {
  return xs.length > 10 ? `${xs.slice(0, 10).join(', ')} and ${xs.length - 10} more` : xs.join(', ');
}

/** The log line of a wait: whom it waits for (the first ten), which of them the client saw results on, and how long at most. */
export function holderWaitText({ missing, seenOn }: HolderWait, waitMs: number): string {
  return `a reconnecting client knew of ${missing.length} worker(s) not registered here: ${addressList(missing)}`
    + (seenOn.length ? ` (it saw results on ${addressList(seenOn)})` : '')
    + `; holding task assignment until they are back (at most ${waitMs} ms)`;
}
