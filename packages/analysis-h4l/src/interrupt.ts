/**
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP (a closed terminal, a dropped ssh connection) during a run of
 * gluon-h4l or gluon-finalstates: the run says how far it got, stops, closes what it started (its
 * LocalCluster, its scheduler connection, batch jobs) and the CLI exits 130 (143, 129). One copy
 * for both CLIs: the line, the listener, the race that ends a cluster run, and the count of files
 * done that the line reports.
 */
import { constants as osConstants } from 'node:os';
import { countOf } from '@gluon/protocol/tools';
import { figure } from './figures.js';

/**
 * Ends the process as a run or a generate stopped by `e`'s signal ends: exit 128 + its number. A
 * SIGHUP with a terminal on stdio (closed, as SIGHUP says) ends it by the signal itself, which a
 * shell reports the same way (129): Node 20's exit puts the terminal's settings back and, the
 * terminal gone, crashes (SIGSEGV or SIGABRT; found under script(1) with its pty closed), after the
 * run had stopped cleanly. Node 22 and 24 exit 129 there.
 */
export function exitStopped(e: InterruptedError): void {
  if (e.signal === 'SIGHUP' && [process.stdin, process.stdout, process.stderr].some((s) => s.isTTY)) {
    // Our own listeners are gone by now; another's (a clean-up's) runs and re-raises it. Should
    // one keep the process, it exits after all.
    setTimeout(() => process.exit(e.exitCode), 5000);
    process.kill(process.pid, 'SIGHUP');
    return;
  }
  process.exit(e.exitCode);
}

/** How far a run is: chunks and their events, and files all of whose chunks are done. */
export interface ProgressEvent { chunksDone: number; chunksTotal: number; filesDone?: number; filesTotal?: number; events: number; eventsTotal: number; elapsedMs: number }

/** The signals that stop a run or a generate. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/**
 * The signals a run and a generate stop on, saying so. A run took SIGINT alone until 5 December
 * 2026: SIGHUP (its terminal closed, its ssh connection dropped) and SIGTERM ended it by the
 * signal, saying nothing, its tasks left on a --scheduler for the session grace, and its outputs
 * cut short if it came while they were written.
 */
export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The stop signal an abort signal was aborted with (its reason), SIGINT when it says none. */
export function stopSignalOf(signal: AbortSignal | undefined): StopSignal {
  const r: unknown = signal?.reason;
  return typeof r === 'string' && (STOP_SIGNALS as readonly string[]).includes(r) ? r as StopSignal : 'SIGINT';
}

/** The run (or generate) was stopped through its abort signal (Ctrl-C, SIGTERM or SIGHUP: `signal`). */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message: string, readonly signal: StopSignal = 'SIGINT') { super(message); }
  /** The CLI's exit code: 128 + the signal's number (130, 143, 129), what a shell reports for a process the signal ended. */
  get exitCode(): number { return 128 + osConstants.signals[this.signal]; }
}

/** How far a run got, for the line Ctrl-C prints. */
export interface RunPlace {
  /** Set once the run has listed its files and started processing (onStart): its totals. */
  totals?: { chunks: number; files: number; events: number };
  last?: ProgressEvent;
  /** Ends the progress bar's line, so the notice starts on a line of its own. */
  endBar?: () => void;
  /**
   * The run's cluster is a scheduler it was given (--scheduler), not one it started: it closes
   * only its connection, and the scheduler lets go of the run's tasks and stays up.
   */
  scheduler?: boolean;
}

/**
 * What Ctrl-C (or `signal`) during a run says (`command`: `gluon-h4l run`): how far it got
 * (chunks, files and events done of their totals, or that it was still starting), and that the
 * cluster (or, for a --scheduler run, its connection) is being closed and nothing written. A
 * --scheduler run said `closing the cluster` too, which read as if the scheduler it was given,
 * and other users' work on it, were being stopped.
 */
export function interruptedLine(at: RunPlace, command = 'gluon-h4l run', signal: StopSignal = 'SIGINT'): string {
  const tot = at.totals;
  const p = at.last ?? (tot && { chunksDone: 0, chunksTotal: tot.chunks, filesDone: 0, filesTotal: tot.files, events: 0, eventsTotal: tot.events, elapsedMs: 0 });
  const where = !p ? `while starting (listing files, counting entries, ${at.scheduler ? 'connecting to the scheduler' : 'starting the cluster'}): no chunk processed yet`
    : `while processing: ${figure(p.chunksDone)} of ${countOf(p.chunksTotal, 'chunk')} done (${figure(p.filesDone ?? 0)} of ${countOf(p.filesTotal ?? 0, 'file')}, ${figure(p.events)} of ${countOf(p.eventsTotal, 'event')})`;
  const closing = at.scheduler ? 'closing its connection to the scheduler, which lets go of the run\'s tasks and stays up;' : 'closing the cluster,';
  return `${command}: interrupted (${signal}) ${where}; ${closing} no outputs written`;
}

/** What a run's Ctrl-C (SIGTERM, SIGHUP) handling hands the run: where it records its progress, and the signal it stops on. */
export interface CtrlC {
  place: RunPlace;
  signal: AbortSignal;
  /** Stops listening: a signal from here (writing the outputs, lingering) is handled as before. */
  stopListening(): void;
}

/**
 * Listens for the first SIGINT, SIGTERM or SIGHUP of a run: prints {@link interruptedLine} to
 * stderr and aborts the signal with the signal's name (the run then closes its cluster and rejects
 * with an {@link InterruptedError} of it: exit 130, 143, 129). Without it, a CLI died by the
 * signal, printing nothing, its tasks left on a `--scheduler` for the session grace. A second
 * signal finds no listener: the default, at once.
 */
export function listenForCtrlC(command: string, err: NodeJS.WritableStream = process.stderr): CtrlC {
  const place: RunPlace = {};
  const stop = new AbortController();
  const stopListening = onFirstSignal(STOP_SIGNALS, (sig) => {
    place.endBar?.();
    err.write(`${interruptedLine(place, command, sig)}\n`);
    stop.abort(sig);
  });
  return { place, signal: stop.signal, stopListening };
}

/**
 * Calls `handler` on the first SIGINT (Ctrl-C) until the returned function is called; the next
 * Ctrl-C finds no listener: the default, at once. The listener stays until the signal's other
 * listeners have run (removed a turn later): removed as it came (process.once), a LocalCluster's
 * process-end handler (@gluon/protocol), next in line, found no one else listening, killed the
 * cluster's processes and ended the process by the signal, so a run on a LocalCluster neither
 * closed it nor exited 130.
 */
export function onFirstCtrlC(handler: () => void): () => void {
  return onFirstSignal(['SIGINT'], handler);
}

/**
 * {@link onFirstCtrlC} for any of `signals` (generate: SIGINT, SIGTERM and SIGHUP): `handler` is
 * called with the first that comes; then none of them has this listener (the next: the default).
 */
export function onFirstSignal(signals: readonly StopSignal[], handler: (signal: StopSignal) => void): () => void {
  let fired = false;
  const stopListening = () => { for (const [sig, l] of listeners) process.removeListener(sig, l); };
  const listeners = signals.map((sig) => [sig, () => {
    setImmediate(stopListening);
    if (sig === 'SIGHUP') quietGoneTerminal();
    if (fired) return;
    fired = true;
    handler(sig);
  }] as const);
  for (const [sig, l] of listeners) process.on(sig, l);
  return stopListening;
}

/**
 * After a SIGHUP the terminal may be gone: a write to it fails (EIO), and that error, unhandled,
 * crashed the process (Node 20: SIGABRT) before the run had stopped. What is said from then on is
 * said if the terminal is there, and dropped if not.
 */
function quietGoneTerminal(): void {
  for (const s of [process.stdout, process.stderr]) if (s.isTTY && !s.listeners('error').includes(dropError)) s.on('error', dropError);
}
const dropError = (): void => {};

/**
 * What Ctrl-C (or `signal`) while a finished run's outputs are written says (`command`:
 * `gluon-h4l run`): they are finished first, then the run stops.
 */
export function writingInterruptedLine(outDir: string, command = 'gluon-h4l run', signal: StopSignal = 'SIGINT'): string {
  const again = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
  return `${command}: interrupted (${signal}) while writing the outputs; every chunk is done, so they are finished first in ${outDir}, then the run stops (exit ${128 + osConstants.signals[signal]}); ${again} stops at once, leaving them incomplete`;
}

/**
 * Runs `write` (a finished run's outputs: checksums, files) with a first Ctrl-C said
 * ({@link writingInterruptedLine}) and put off until it ends; then throws an
 * {@link InterruptedError} (the CLI exits 130) if one came. A second Ctrl-C finds no listener:
 * the default, at once. Without it, the first ended the process by the signal once the chunks'
 * listener was gone: nothing said, nothing (or a cut file) written, the run's work lost.
 */
export async function finishingOnCtrlC<T>(command: string, outDir: string, write: () => Promise<T>, err: NodeJS.WritableStream = process.stderr): Promise<T> {
  let asked: StopSignal | undefined;
  // SIGTERM and SIGHUP too: ended by them, a run cut its outputs short (a run.json missing beside
  // histograms written), the chunks' work lost.
  const stopListening = onFirstSignal(STOP_SIGNALS, (sig) => {
    asked = sig;
    err.write(`${writingInterruptedLine(outDir, command, sig)}\n`);
  });
  let value: T;
  try {
    value = await write();
  } finally {
    stopListening();
  }
  if (asked) throw new InterruptedError('interrupted while writing the outputs', asked);
  return value;
}

/**
 * A promise that rejects with an {@link InterruptedError} once `signal` aborts (at once if it
 * has), to race a run's work against, and the function that stops it listening.
 */
export function whenAborted(signal: AbortSignal | undefined): { aborted: Promise<never>; off(): void } {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError('interrupted', stopSignalOf(signal)));
    if (signal?.aborted) onAbort(); else signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {}); // a run that ended first never awaits it
  return { aborted, off: () => signal?.removeEventListener('abort', onAbort!) };
}

/**
 * `p` (a connection being made), or an InterruptedError as soon as `signal` aborts; what `p`
 * still brings after that goes to `dispose`, a failure of it is dropped. Client.connect takes no
 * signal and retries a scheduler that does not answer for ~10 s: a Ctrl-C then said the run was
 * interrupted, and the run went on retrying and ended with the connection's error, exit 1.
 */
export async function unlessInterrupted<T>(p: Promise<T>, signal: AbortSignal | undefined, dispose: (value: T) => unknown): Promise<T> {
  const abort = whenAborted(signal);
  try {
    return await Promise.race([p, abort.aborted]);
  } catch (e) {
    if (e instanceof InterruptedError) p.then(dispose, () => {});
    throw e;
  } finally {
    abort.off();
  }
}

/**
 * Counts the files all of whose chunks are done, for the progress events: `chunkFiles` the file
 * of each chunk, `filesTotal` the run's files (one with no chunk, skipped or empty, is done at
 * once). Returns the files done after the chunk of `file` is.
 */
export function filesDoneCounter(chunkFiles: readonly string[], filesTotal: number): { done(file: string): number; readonly count: number } {
  const left = new Map<string, number>();
  for (const f of chunkFiles) left.set(f, (left.get(f) ?? 0) + 1);
  let count = filesTotal - left.size;
  return {
    done(file) {
      const n = (left.get(file) ?? 0) - 1;
      left.set(file, n);
      if (n === 0) count++;
      return count;
    },
    get count() { return count; },
  };
}
