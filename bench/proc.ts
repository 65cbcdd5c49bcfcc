/**
 * Reading another process's resource use from /proc (Linux), for the benchmarks that watch the
 * scheduler and worker processes from outside.
 */
import { readdirSync, readFileSync } from 'node:fs';

export { rssMiB } from '../packages/client/test/procs.js';

/** The largest resident set size a process has had (VmHWM, the kernel's high-water mark), in MiB. */
export function rssPeakMiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User and system CPU seconds a process has used so far, from /proc/PID/stat (10 ms ticks). */
export function cpuTimes(pid: number): { user: number; system: number } {
  // The command name (field 2) may hold spaces: the fields after it start behind ') '.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat (10 ms ticks). */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/**
 * CPU seconds the live threads of a process have run so far, in nanoseconds' precision: the sum of
 * /proc/PID/task/TID/schedstat's first field. For short pieces of work, where /proc/PID/stat's 10 ms
 * ticks would be most of the figure. A thread that ended takes its time with it, so compare two
 * readings only across work that ends no thread (a task thread terminated by a timeout would).
 */
export function threadCpuSeconds(pid: number): number {
  return schedstatSum(pid, 0);
}

/** The sum over a process's live threads of one field of /proc/PID/task/TID/schedstat, in seconds. */
function schedstatSum(pid: number, field: 0 | 1): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[field]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e9;
}

/**
 * How often the threads of a process have been preempted so far (the sum of each live thread's
 * nonvoluntary_ctxt_switches). A worker whose main and task thread share a CPU is preempted about
 * twice a (b) round trip (each wakes the other onto its own CPU), one whose threads run apart
 * hardly ever (docs/internals.md, "(b): the worker's wake-ups").
 */
export function preemptions(pid: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      n += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return n;
}

/**
 * Seconds the threads of a process have waited for a CPU while runnable so far: the sum of
 * /proc/PID/task/TID/schedstat's second field. Same caveat as {@link threadCpuSeconds}.
 */
export function runDelaySeconds(pid: number): number {
  return schedstatSum(pid, 1);
}

/** The median of some numbers (NaN for none). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU seconds (user + system, every thread) this process has used so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Resident MiB of a process by kind of mapping (/proc/PID/smaps): `heap` is glibc's main heap
 * (`[heap]`, grown by brk: freed blocks below a live one stay resident), `anon` every other
 * anonymous mapping (V8's heap pages, other malloc arenas, blocks malloc mapped on their own),
 * `file` mapped files (the node binary and its libraries).
 */
export function residentByKind(pid: number): { heap: number; anon: number; file: number } {
  const kb = { heap: 0, anon: 0, file: 0 };
  let kind: keyof typeof kb = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const name = header[1]!;
      kind = name === '[heap]' ? 'heap' : name === '' ? 'anon' : 'file';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[kind] += Number(rss[1]);
  }
  return { heap: kb.heap / 1024, anon: kb.anon / 1024, file: kb.file / 1024 };
}
