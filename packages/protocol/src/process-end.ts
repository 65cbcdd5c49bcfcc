/**
 * Synchronous clean-ups for when a script ends, shared by everything Gluon starts on a user's
 * behalf (LocalCluster's processes, SlurmCluster's and PBSCluster's batch jobs): they run on
 * `exit` (a normal end, `process.exit`, an uncaught error) and on SIGINT, SIGTERM and SIGHUP,
 * which end a script without an `exit` event.
 *
 * One set of signal handlers serves every registration, in this process, even across several
 * copies of this package: each copy installing its own and re-raising "when it is the only
 * listener" made two such handlers each see the other, so neither re-raised and Ctrl-C no longer
 * ended the script. Here the signal is re-raised once every clean-up has run, when no listener
 * but these handlers is left to decide (a CLI with its own SIGINT handler keeps control).
 * signal-exit's handlers (loaded by tap, c8, nyc and many CLIs) do not decide either: they too
 * re-raise only when they are alone, so counting them as deciding left Ctrl-C ending nothing.
 */

type Registry = { cleanups: Set<() => void>; onlyAtEnd: Set<() => void>; installed: boolean; handlers: Set<(...a: unknown[]) => void> };
const KEY = Symbol.for('gluon.process-end');
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[KEY] ??= { cleanups: new Set(), onlyAtEnd: new Set(), installed: false, handlers: new Set() });
}

/** How many of the signal listeners are signal-exit's (v4 keeps its count on globalThis, v3 on process). */
function signalExitListeners(): number {
  type Counted = { count?: unknown } | undefined;
  const v4 = (globalThis as unknown as Record<symbol, Counted>)[Symbol.for('signal-exit emitter')];
  const v3 = (process as unknown as Record<string, Counted>).__signal_exit_emitter__;
  let n = 0;
  for (const e of [v4, v3]) if (typeof e?.count === 'number') n += e.count;
  return n;
}

function runAll(r: Registry, ending: boolean): void {
  for (const c of [...r.cleanups]) {
    if (!ending && r.onlyAtEnd.has(c)) continue;
    try { c(); } catch { /* one clean-up failing must not keep the others from running */ }
  }
}

/**
 * Runs `cleanup` (synchronously: nothing asynchronous completes once the process is ending) when
 * this process ends, until the returned function is called. A clean-up may run more than once
 * (a signal the script handles itself, then `exit`): make it idempotent. On a signal the script
 * handles itself, it runs at once by default (LocalCluster kills its processes then); with
 * `onlyAtEnd` it waits for the `exit` event, leaving the shutdown to that handler (a CLI whose
 * own close() cancels the jobs, which would otherwise be cancelled twice).
 */
export function onProcessEnd(cleanup: () => void, opts: { onlyAtEnd?: boolean } = {}): () => void {
  const r = registry();
  r.cleanups.add(cleanup);
  if (opts.onlyAtEnd) r.onlyAtEnd.add(cleanup);
  if (!r.installed) {
    r.installed = true;
    process.on('exit', () => runAll(r, true));
    for (const sig of SIGNALS) {
      const handler = () => {
        // Anyone else listening decides what the signal means; otherwise end as it asks.
        const others = process.listeners(sig).filter((l) => !r.handlers.has(l as (...a: unknown[]) => void)).length;
        const ending = others <= signalExitListeners();
        runAll(r, ending);
        if (ending) {
          process.off(sig, handler);
          process.kill(process.pid, sig);
        }
      };
      r.handlers.add(handler);
      process.on(sig, handler);
    }
  }
  return () => { r.cleanups.delete(cleanup); r.onlyAtEnd.delete(cleanup); };
}
