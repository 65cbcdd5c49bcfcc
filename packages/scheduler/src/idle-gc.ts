import { setFlagsFromString } from 'node:v8';
import type { Session } from 'node:inspector';

/**
 * Why the scheduler collects now (see {@link IdleCollector.shouldCollect}): a big release has
 * settled (`release`), or a burst of work has, with its results held (`work`), or big messages
 * have passed through and left their buffers (`buffers`).
 */
export type IdleReason = 'release' | 'work' | 'buffers';

/**
 * When the scheduler collects its garbage itself. V8 collects only as it allocates, so after a
 * client releases a big graph the scheduler, now idle, keeps the dead task records, and its
 * RSS stays at the size it had while holding them (a million released tasks kept ~1 GiB
 * resident indefinitely). Once a release of at least `threshold` tasks has settled — a whole
 * tick without another task forgotten and without any other task changing state — one full
 * collection gives the memory back. A scheduler that keeps working is left to V8: a collection
 * in the middle of work (a client's sequential round trips right after it released a big map,
 * which forget nothing for a tick) cost that work a compacting pause and then, for the next
 * seconds, V8's re-marking and sweeping on its helper threads (bench/scheduler-ab.ts (b): the
 * round trips after a 60,000-task map cost 1.4-1.5x 0cbbd89's scheduler CPU in their first
 * half, 0.94-1.05x in their second). Pure: the server asks it each tick and calls gc.
 *
 * The same holds after a burst of work whose results stay held (`work`): running a graph leaves
 * garbage in the old generation that V8 collects only when the heap next grows by its growing
 * factor, or from its memory reducer some 20-30 s after allocation stops. The messages of each
 * task (compute-task, task-finished, key-in-memory) and the tables of the per-worker sets are
 * allocated straight into the old generation once V8 has seen their kind live there (its
 * allocation-site pretenuring; a Map or Set whose table is old makes its next table old), so
 * after a million tasks the heap held 690 MiB used for 376 MiB alive (bench/scale.ts: RSS per
 * held task 603-1,173 bytes from run to run, set by where V8's last full collection fell). One
 * full collection at the first tick without work (see {@link collectHeld}) brings the heap back
 * to what is alive (paced like the others: see {@link IdlePacing}). It is made only once the work since the last collection outweighs what it
 * must mark: at least `4 × threshold` task state changes and twice as many as tasks held, so a
 * client that pauses mid-graph, or sends small graphs beside a big held one, pays a bounded
 * share (marking a held task costs less than one of its state changes).
 */
export class IdleCollector {
  private lastCount = 0;
  private lastTransitions = 0;
  private atLastCollection = 0;
  private transitionsAtLastCollection = 0;
  /** Tasks forgotten between the last two collections (for the log line). */
  lastReleased = 0;
  /** Task state changes between the last two collections (for the log line). */
  lastWork = 0;
  /** Why the last collection was made (for the log lines of what follows it). */
  lastReason: IdleReason | undefined;
  /** ArrayBuffer bytes when the last collection was decided (for the log line). */
  lastBuffers = 0;
  /** ArrayBuffer bytes the last collection left (or the lowest seen since), read a tick after it. */
  private buffersLow = 0;
  /**
   * ArrayBuffer bytes the last collection left, read a tick after it and not lowered since: what
   * tasks held then may die with them, and V8 freeing them itself in the meantime does not
   * cancel the collection after their release (see {@link shouldCollect}).
   */
  private buffersLeft = 0;
  /** ArrayBuffer bytes the collection before the last one left (for the log line). */
  leftBefore = 0;
  /** ArrayBuffer bytes at the last settled tick: a big message still arriving is not collected. */
  private buffersBefore = 0;
  /** A collection was made: read what it left at the next call (V8 frees buffers after it returns). */
  private measureLeft = false;

  /**
   * @param threshold tasks forgotten since the last collection that make one worth its pause
   * @param bufferBytes ArrayBuffer bytes grown since the last collection that make one worth
   *   it. A task argument of 64 MiB passes through the scheduler as socket reads, the decoded
   *   value (kept with the task while it is held) and the re-encoded compute-task, ~3x its
   *   size; all but the value are dead once it is sent, and the value once the task is
   *   forgotten, but V8 frees a buffer only when it collects the object that owned it, and an
   *   idle scheduler whose heap barely grew never collects: 210 MiB of them stayed, RSS 283 MiB
   *   against 60 before, for good. Few tasks, so neither of the other reasons applied. 32 MiB,
   *   not 64: over TLS V8 had freed the copies itself and left the dead value, 61 MiB for an
   *   argument of 8,000,000 numbers, while the C heap kept 190 MiB more that only the trim after
   *   a collection gave back (RSS 254 MiB, against 126 with the collection and its trim).
   * @param pacing how long the scheduler must have been idle before a collection (see
   *   {@link IdlePacing}); without it, the first settled tick is enough.
   */
  constructor(readonly threshold = 50_000, readonly bufferBytes = 32 * 2 ** 20, readonly pacing?: IdlePacing) {}

  /**
   * `forgotten`: the scheduler's running count of forgotten tasks; `transitions`: its running
   * count of task state changes (work of any kind); `live`: the tasks it holds now. A reason:
   * collect now; false: not.
   *
   * Not for a release while more tasks are held than were released since the last collection:
   * then most of the heap is alive, and the collection would copy it for little back. A client
   * that pauses for a second in the middle of sending a big graph (its own GC, with a million
   * futures) makes a tick without work: bench/scale.ts saw a compacting collection of 396 MiB of
   * live records there, in the middle of its 1M run, after 160,000 earlier tasks had been
   * released. Such a pause is a `work` collection only once the work outweighs the live tasks
   * (see the class comment).
   *
   * `now` (ms, any monotonic clock) is read by the {@link IdlePacing} only: a collection that is
   * worth it waits until the scheduler has been idle for the pacing's wait.
   */
  shouldCollect(forgotten: number, transitions: number, live = 0, buffers: () => number = () => 0, now = 0): IdleReason | false {
    const settled = forgotten === this.lastCount && transitions === this.lastTransitions;
    this.lastCount = forgotten;
    this.lastTransitions = transitions;
    if (this.measureLeft) {
      this.measureLeft = false;
      this.buffersLow = this.buffersLeft = buffers();
    }
    const idleLongEnough = this.pacing ? this.pacing.tick(now, settled) : true;
    if (!settled || !idleLongEnough) return false;
    const released = forgotten - this.atLastCollection;
    const work = transitions - this.transitionsAtLastCollection;
    const bytes = this.readBuffers(buffers);
    // A big message still arriving or leaving moves the level between settled ticks (by more
    // than 2 MiB; heartbeats' socket reads move it by KiBs): not yet.
    const steady = Math.abs(bytes - this.buffersBefore) < 2 * 2 ** 20;
    this.buffersBefore = bytes;
    const grown = bytes - this.buffersLow;
    // What the last collection left may have been alive only through tasks forgotten since (a
    // held task's big argument): one more collection. Either only while few tasks are held
    // (then it costs milliseconds): with a big graph held, one after every small release or
    // big argument would mark all of it each time; V8's own accounting of external memory
    // collects there. Also when V8 has freed those buffers itself meanwhile (a collection of its
    // own, which a loaded machine's slow ticks give time for): the C heap keeps the pages of the
    // socket reads until the trim that follows a collection, and the release is said either way.
    const freedSince = forgotten > this.atLastCollection && this.buffersLeft >= this.bufferBytes;
    let why: IdleReason | false = false;
    if (released >= this.threshold && live <= released) why = 'release';
    else if (work >= 4 * this.threshold && work >= 2 * live) why = 'work';
    else if (steady && live < this.threshold && (grown >= this.bufferBytes || freedSince)) why = 'buffers';
    if (!why) return false;
    this.pacing?.collected(now);
    this.lastBuffers = bytes;
    this.leftBefore = this.buffersLeft;
    this.measureLeft = true;
    this.lastReleased = released;
    this.lastWork = work;
    this.lastReason = why;
    this.atLastCollection = forgotten;
    this.transitionsAtLastCollection = transitions;
    return why;
  }

  /** Reads the level (only on settled ticks: `buffers` walks the heap's statistics), and keeps its low. */
  private readBuffers(buffers: () => number): number {
    const bytes = buffers();
    this.buffersLow = Math.min(this.buffersLow, bytes);
    return bytes;
  }
}

/**
 * How long the scheduler waits, idle, before a collection that {@link IdleCollector} finds worth
 * making: none at first, then twice as long (from `stepMs`, at most `maxWaitMs`) each time work
 * resumed within `maxWaitMs` of a collection. Never shorter again: a scheduler whose clients
 * come back after short pauses keeps collecting only once they have been away for the wait.
 *
 * Why: a full collection while the scheduler holds no task is dear for the work that follows.
 * With no task record, message or per-task set alive, V8 collects their hidden classes (maps:
 * transitions to them are weak) and deoptimizes every function whose optimized code was
 * specialised on them; the last-resort and low-memory collections also flush the bytecode of
 * every function not running, and shrink the nursery and the heap's limits. The next burst
 * runs in the interpreter, on fresh maps, and recompiles the scheduler's hot paths: ~125-150
 * functions re-optimized by TurboFan after each idle collection (--trace-opt), none without
 * it. Bursts of 50,000 no-op tasks 3 s apart cost 1.31x the scheduler CPU per task of the same
 * bursts with no idle collection, 1.42x with the collection itself; paced, 0.99x
 * (bench/idle-burst.ts, docs/internals.md "The burst after an idle collection"). V8 left to itself keeps those maps:
 * its own full collections fall in the middle of work, with the records alive.
 *
 * The first release is still collected at the first settled tick (a scheduler that ran one big
 * graph gives its memory back at once); a client that comes back every few seconds stops
 * paying for it after two or three collections, and its heap, reused by each burst, does not
 * grow. Once it goes away for longer than the wait, the memory comes back as before, at most
 * `maxWaitMs` later. Pure: {@link IdleCollector} asks it each tick.
 */
export class IdlePacing {
  /** How long the scheduler must have been idle before the next collection (ms). */
  waitMs = 0;
  /** When the current idle stretch began (the first settled tick of it). */
  private idleSince: number | undefined;
  /** When the last collection was made, until work resumes after it. */
  private collectedAt: number | undefined;

  /**
   * @param stepMs the first wait after work resumed soon after a collection (ms)
   * @param maxWaitMs the longest wait, and how soon after a collection resuming work counts as soon (ms)
   */
  constructor(readonly stepMs = 2_000, readonly maxWaitMs = 30_000) {}

  /** A tick at `now`: `settled` when no task changed state since the last one. True: idle long enough to collect. */
  tick(now: number, settled: boolean): boolean {
    if (!settled) {
      if (this.collectedAt !== undefined && now - this.collectedAt < this.maxWaitMs) this.waitMs = Math.min(this.maxWaitMs, Math.max(this.stepMs, this.waitMs * 2));
      this.collectedAt = undefined;
      this.idleSince = undefined;
      return false;
    }
    this.idleSince ??= now;
    return now - this.idleSince >= this.waitMs;
  }

  /** A collection was made at `now`. */
  collected(now: number): void {
    this.collectedAt = now;
  }
}

/**
 * What follows an idle collection, tick by tick, while no task changes state (work resuming
 * ends it: a busy scheduler refills its heaps at once):
 * - `trim` at the next tick: glibc's free pages back (malloc-trim.ts). A tick later because V8
 *   frees dead buffers' C memory on its sweeper threads after the collection returns (Node 20).
 * - `settle` once `settleMs` have passed: one more full collection, then a trim. V8 shrinks its
 *   nursery only in a collection that sees allocation stopped (under 1 MB/s over its last 5 s),
 *   which the idle collection, right after the release, never does; Node 20's V8, whose idle
 *   collection cannot ask for memory-pressure mode (below), otherwise keeps the grown nursery
 *   for good (a probe: RSS 58.3 MiB after the idle collection and a trim, 51.2 after a second
 *   collection 6 s later, 42.5 before the records were made).
 * Pure: the server asks it each tick.
 */
export class Aftercare {
  private since: { at: number; transitions: number; trimmed: boolean; settle: boolean } | undefined;

  /** @param settleMs how long after the idle collection the second one runs */
  constructor(readonly settleMs = 6_000) {}

  /**
   * An idle collection ran at `now`, with the state machine's transition count then. `settle`
   * false: the trim only (after a `work` collection, the heap is mostly alive: a second full
   * collection would copy it again for little).
   */
  collected(now: number, transitions: number, settle = true): void {
    this.since = { at: now, transitions, trimmed: false, settle };
  }

  /** What to do at this tick, if anything. */
  next(now: number, transitions: number): 'trim' | 'settle' | undefined {
    const s = this.since;
    if (!s) return undefined;
    if (transitions !== s.transitions) {
      this.since = undefined;
      return undefined;
    }
    if (!s.trimmed) {
      s.trimmed = true;
      if (!s.settle) this.since = undefined;
      return 'trim';
    }
    if (now - s.at < this.settleMs) return undefined;
    this.since = undefined;
    return 'settle';
  }
}

/**
 * Whether gc() reads its options object (V8 12 and later: Node 22 and 24). V8 11 (Node 20) takes
 * any object as `gc(true)`, a scavenge only (checked with --trace-gc), so there the idle
 * collection is a plain full one.
 */
export const LAST_RESORT = Number(process.versions.v8.split('.')[0]) >= 12;

/**
 * The collection V8 makes under memory pressure ("last resort": full collections until nothing
 * more is freed, in its reduce-memory mode), with every page it keeps compacted (V8's
 * `--compact-on-every-full-gc`, set for this collection only), so the old space it leaves is
 * about the size of what is alive. A plain full collection evacuates only the pages V8's
 * heuristics pick: after a million released tasks the scheduler's heap was back to 17 MiB used
 * with 61-67 MiB still committed (bench/scale.ts), the live records left scattered one or two to
 * a page. And it keeps what it freed for the next allocations: the pages it emptied stay
 * mapped in V8's pool (not counted in the heap's size), the nursery keeps its grown size, and the
 * dead buffers' memory (socket reads, codec output) is freed later by a sweeper thread. The
 * last-resort collection (two reduce-memory mark-compacts) gives those back before it returns:
 * after 600,000 released records a compacting collection left 208-215 MiB of RSS and this one
 * 64-71 MiB, on Node 22 and 24 (idle-gc.test.ts); Node 20 has no way to ask for it. Compacting and collecting cost a copy of what is alive,
 * which after a big release is small. A process started with `--compact-on-every-full-gc`
 * keeps it on. On V8 11 the idle collection adds {@link lowMemoryCollection} (see
 * {@link collectIdle}).
 */
export function collectCompacting(gc: NodeJS.GCFunction, alwaysCompact = process.execArgv.includes('--compact-on-every-full-gc'), lastResort = LAST_RESORT): void {
  const collect = () => (lastResort ? gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }) : gc());
  withV8Flag(alwaysCompact, '--compact-on-every-full-gc', '--no-compact-on-every-full-gc', collect);
}

/**
 * The idle collection: {@link collectCompacting}, and on V8 11 (Node 20), whose gc() cannot ask
 * for the last-resort collection, V8's low-memory collection after it. Resolves once both have
 * run, with undefined or a sentence saying why there was no low-memory collection.
 */
export async function collectIdle(gc: NodeJS.GCFunction): Promise<string | undefined> {
  collectCompacting(gc);
  return LAST_RESORT ? undefined : lowMemoryCollection();
}

/**
 * The collection after a burst of work whose results are held (reason `work`, see
 * {@link IdleCollector}): one plain full collection. Not compacting every page, as the
 * collections of a release do: the heap is mostly alive, and evacuating all of it maps a copy of
 * every live object before the old pages go (a million held tasks: RSS 869 -> 1,186 MiB for a
 * moment, then 454), a peak above anything the work itself reached; nor the last-resort or
 * low-memory collections, which would mark it all again for little.
 */
export function collectHeld(gc: NodeJS.GCFunction): void {
  gc();
}

/**
 * The collection of big buffers (reason `buffers`, see {@link IdleCollector}): one plain full
 * collection, as {@link collectHeld}, whose dead ArrayBuffers are freed before it returns. V8
 * frees them on a helper thread after a full collection returns (its array-buffer sweeper),
 * seconds later on a loaded machine: a scheduler at nice 19 under a load of 30 logged the
 * collection's RSS a tick later as 293 MiB with all 208 MiB of the dead buffers still counted,
 * freed 4-6 s later. Swept on the main thread (V8's `--no-concurrent-array-buffer-sweeping`, set
 * for this collection only), what it says it left is what it left; a sweep of a few hundred
 * buffers costs the pause little.
 */
export function collectBuffers(gc: NodeJS.GCFunction, alwaysOnMainThread = process.execArgv.includes('--no-concurrent-array-buffer-sweeping')): void {
  withV8Flag(alwaysOnMainThread, '--no-concurrent-array-buffer-sweeping', '--concurrent-array-buffer-sweeping', () => gc());
}

/** Runs `collect` with V8's flag `on` set and `off` after, unless the process runs with `on` anyway (`already`). */
function withV8Flag(already: boolean, on: string, off: string, collect: () => void): void {
  if (already) return collect();
  setFlagsFromString(on);
  try {
    collect();
  } finally {
    setFlagsFromString(off);
  }
}

/**
 * The second collection, once allocation has stopped (see {@link Aftercare}): a plain full
 * collection, and on V8 11 the low-memory one after it, as in {@link collectIdle}.
 */
export async function collectSettled(gc: NodeJS.GCFunction): Promise<string | undefined> {
  gc();
  return LAST_RESORT ? undefined : lowMemoryCollection();
}

let session: Session | string | undefined;

/**
 * V8's low-memory collection (`Isolate::LowMemoryNotification`: full collections in its
 * reduce-memory mode until nothing more is freed, then the emptied pages and the grown nursery
 * given back), the same that V8 12's last-resort gc() makes. V8 11 (Node 20) offers it to
 * JavaScript only through the inspector protocol's `HeapProfiler.collectGarbage`, which an
 * in-process session can send without a debugger, a port or any flag. Why: after a big release a
 * compacting gc() leaves V8 11 holding pages it no longer uses (bench/scale.ts, Node 20: 26 MiB
 * committed after a million released tasks against 17 at idle, the live objects differing by
 * 0.64 MiB). A probe with 2M records released: committed heap 36.2 → 4.5 MiB, RSS 93 → 60 MiB.
 *
 * V8 runs it as a task of its own once the call has returned (without JavaScript frames on the
 * stack), so this resolves when the protocol answers, after it ran. Resolves with undefined, or
 * with a sentence saying why not (a Node built without the inspector).
 */
export async function lowMemoryCollection(): Promise<string | undefined> {
  if (session === undefined) {
    try {
      const { Session } = await import('node:inspector');
      const s = new Session();
      s.connect();
      session = s;
    } catch (err) {
      session = `no low-memory collection: this Node has no inspector (${(err as Error).message.split('\n')[0]})`;
    }
  }
  const s = session;
  if (typeof s === 'string') return s;
  return new Promise((resolve) => {
    s.post('HeapProfiler.collectGarbage', (err) => resolve(err ? `the low-memory collection failed: ${err.message}` : undefined));
  });
}
