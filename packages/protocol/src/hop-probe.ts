/**
 * An opt-in record of when each message left and arrived in this process, for attributing a
 * round trip's time to its hops (bench/tail-hops.ts). On only when the environment variable
 * `GLUON_HOP_PROBE` names a directory: each process (and the processes it starts, which inherit
 * the variable) then keeps a stamp per message sent and received, per task handed to a thread
 * and back, per periodic job run, and per GC pause, and writes them to
 * `DIR/<program>-<pid>.tsv` when it exits. Off, {@link hopProbe} is undefined and a call site
 * (`hopProbe?.…`) costs one check of a constant.
 *
 * Times are `process.hrtime.bigint()` nanoseconds (CLOCK_MONOTONIC), comparable between the
 * processes of one machine, so one task's stamps from the client, the scheduler, a worker and
 * its thread line up.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/** Names what a stamp marks: `send <op>`, `recv <op>`, `post`, `gc <kind>`, a timer's name… */
export interface HopProbe {
  /** A stamp now (or at `at`, hrtime ns) of `event`, about `key` ('' when it is about no task). */
  mark(event: string, key?: string, at?: number): void;
  /** The messages of one frame sent to or received from `peer`. */
  frame(dir: 'send' | 'recv', peer: string, msgs: ReadonlyArray<{ op: string; [k: string]: unknown }>, at?: number): void;
  /** Writes the stamps so far (as at exit) and returns the file's path. */
  write(): string;
}

/** Now, as hrtime nanoseconds in a double (exact below 2^53 ns: 104 days of uptime). */
export const hrNow = (): number => Number(process.hrtime.bigint());

/** Most task keys recorded per message (a map's update-graph names thousands). */
const KEYS_PER_MESSAGE = 4;

/** The task keys a message is about: `key`, `keys`, or its `tasks`' keys (at most a few). */
function keysOf(msg: { [k: string]: unknown }): string[] {
  if (typeof msg.key === 'string') return [msg.key];
  const out: string[] = [];
  const list = Array.isArray(msg.keys) ? msg.keys : Array.isArray(msg.tasks) ? msg.tasks : [];
  for (const k of list.slice(0, KEYS_PER_MESSAGE)) {
    const key = typeof k === 'string' ? k : (k as { key?: unknown })?.key;
    if (typeof key === 'string') out.push(key);
  }
  return out;
}

function start(dir: string): HopProbe {
  const times: number[] = [];
  const events: string[] = [];
  const keys: string[] = [];
  const mark = (event: string, key = '', at = hrNow()) => {
    times.push(at);
    events.push(event);
    keys.push(key);
  };
  // performance.now() is ms since this process's time origin; hrtime is the machine's clock.
  const originNs = hrNow() - performance.now() * 1e6;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      mark(`gc ${kind} ${(e.duration * 1000).toFixed(0)}us`, '', originNs + e.startTime * 1e6);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const file = join(dir, `${basename(process.argv[1] ?? 'node').replace(/\.[cm]?[jt]s$/, '')}-${process.pid}.tsv`);
  const write = (): string => {
    const lines: string[] = [];
    for (let i = 0; i < times.length; i++) lines.push(`${times[i]}\t${events[i]}\t${keys[i]}`);
    try {
      writeFileSync(file, `${lines.join('\n')}\n`);
    } catch (err) {
      process.stderr.write(`GLUON_HOP_PROBE: cannot write ${file}: ${(err as Error).message}\n`);
    }
    return file;
  };
  process.on('exit', write);
  return {
    mark,
    write,
    frame(dir, peer, msgs, at = hrNow()) {
      for (const m of msgs) {
        const ks = keysOf(m);
        if (ks.length === 0) mark(`${dir} ${m.op} ${peer}`, '', at);
        for (const k of ks) mark(`${dir} ${m.op} ${peer}`, k, at);
      }
    },
  };
}

/**
 * The probe for `GLUON_HOP_PROBE`'s value: none when unset. Set but empty (`GLUON_HOP_PROBE=$DIR`
 * with DIR unset) is said once per process, not taken silently for "off": a measurement run would
 * otherwise find no files and no reason.
 */
function probeFor(dir: string | undefined): HopProbe | undefined {
  if (dir === undefined) return undefined;
  if (dir.trim() === '') {
    if (isMainThread) process.stderr.write('GLUON_HOP_PROBE is set but empty: nothing is recorded; unset it, or set it to a directory\n');
    return undefined;
  }
  return start(dir);
}

/** The probe of this process, or undefined (the default) when `GLUON_HOP_PROBE` is not set. */
export const hopProbe: HopProbe | undefined = probeFor(process.env.GLUON_HOP_PROBE);
