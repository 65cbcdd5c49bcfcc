/**
 * A run's console while its chunks are processed, the same for gluon-h4l run and
 * gluon-finalstates: the progress bar, and Ctrl-C, SIGTERM or SIGHUP (interrupt.ts), which says
 * how far the bar had got, stops the run and makes the CLI exit 130 (143, 129).
 */
import { consoleProgress } from './progress.js';
import { InterruptedError, listenForCtrlC, stopSignalOf, type ProgressEvent } from './interrupt.js';

export interface RunConsole {
  /** Aborts on the first Ctrl-C: the run's signal. */
  readonly signal: AbortSignal;
  /** Throws an InterruptedError once Ctrl-C came: after a step that does not take the signal (starting batch jobs). */
  throwIfInterrupted(): void;
  /** The run's totals, once it has listed its files (onStart): Ctrl-C says how far of them it got. */
  started(totals: { chunks: number; files: number; events: number }): void;
  /** A progress event: drawn, and kept for Ctrl-C's line. */
  progress(p: ProgressEvent): void;
  /** Ends the bar's line, so that the next line logged starts on a line of its own. */
  endLine(): void;
  /**
   * The waiting-for-workers notice, said with `log` on a line of its own (the bar's ended first),
   * or not at all once a chunk is done: a worker has finished a task, so the run no longer waits.
   * gluon-finalstates said it after its bar, on the bar's line, that none had finished a task.
   */
  waiting(line: string, log: (s: string) => void): void;
  /** Done with the chunks: the bar ended, and Ctrl-C from here (writing, --linger) is what it was. May be called again. */
  close(): void;
}

/**
 * Starts listening for Ctrl-C (`command` names the run in its line) and draws the bar on
 * `progressOut`. `o.scheduler`: the run's cluster is a scheduler it was given, which Ctrl-C's line
 * says it leaves up.
 */
export function runConsole(command: string, progressOut: NodeJS.WriteStream = process.stderr, o: { scheduler?: boolean } = {}): RunConsole {
  const ctrlC = listenForCtrlC(command);
  if (o.scheduler) ctrlC.place.scheduler = true;
  const bar = consoleProgress(progressOut);
  ctrlC.place.endBar = () => bar.end();
  return {
    signal: ctrlC.signal,
    throwIfInterrupted() { if (ctrlC.signal.aborted) throw new InterruptedError('interrupted', stopSignalOf(ctrlC.signal)); },
    started(totals) { ctrlC.place.totals = totals; },
    progress(p) { ctrlC.place.last = p; bar.update(p); },
    endLine() { bar.end(); },
    waiting(line, log) {
      if ((ctrlC.place.last?.chunksDone ?? 0) > 0) return;
      bar.end();
      log(line);
    },
    close() { bar.end(); ctrlC.stopListening(); },
  };
}
