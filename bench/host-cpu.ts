/**
 * What the machine's CPUs did over a stretch of a benchmark, from /proc/stat (Linux): time the
 * hypervisor took (steal: a virtual CPU had work and the host ran something else), time idle, and
 * time busy, so a benchmark can say how much of its tail the host and the other jobs took. All in
 * clock ticks (USER_HZ, 100 a second), summed over every CPU.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/stat and /proc/PID/stat (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** The machine's CPU time so far, in ticks summed over all CPUs (/proc/stat's `cpu` line). */
export interface HostCpu {
  /** Running anything: user, nice, system, irq and softirq time. */
  busy: number;
  /** Idle or waiting for I/O. */
  idle: number;
  /** Taken by the hypervisor while a virtual CPU had something to run. */
  steal: number;
}

/** Reads /proc/stat's `cpu` line. */
export function hostCpu(): HostCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  if (!line.startsWith('cpu ') || !Number.isFinite(steal)) throw new Error(`/proc/stat: no steal field in its first line "${line}"`);
  return { busy: user! + nice! + system! + irq! + softirq!, idle: idle! + iowait!, steal: steal! };
}

/** `b - a`, field by field. */
export function hostCpuSince(a: HostCpu, b: HostCpu): HostCpu {
  return { busy: b.busy - a.busy, idle: b.idle - a.idle, steal: b.steal - a.steal };
}

/** Pearson's correlation of two equally long series (NaN when either does not vary). */
export function correlation(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx, dy = ys[i]! - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}
