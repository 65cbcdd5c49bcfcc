/**
 * The lifetime a batch job's worker gets from the job's walltime. Pure functions: the job script
 * shows what they decide (`--lifetime`, `--lifetime-stagger` on the worker's command line).
 *
 * Why a lifetime below the walltime: at its walltime the batch system sends the job SIGTERM and,
 * a short while later (Slurm's KillWait, 30 s by default), SIGKILL. Jobs submitted together reach
 * it together, so every worker would retire at once, with no running worker left to take the
 * results the others hold, and any retirement still under way at SIGKILL is cut off: the results
 * are computed again. A worker whose lifetime ends a few minutes earlier retires on its own terms
 * (gluon-worker --lifetime: it finishes its tasks and has its results copied to other workers),
 * and a random stagger spreads the workers of one submission over a window, so the early ones
 * move their results to the later ones, and `scale(n)` submits their replacements meanwhile.
 * dask-jobqueue gives the same advice (`--lifetime 55m --lifetime-stagger 4m` for a 1-hour job).
 */
import { parseDuration, staggerNotBelowText } from '@gluon/protocol/tools';

/** `HH:MM:SS` or `D-HH:MM:SS` (as checkWalltime admits) → milliseconds. */
export function walltimeMs(walltime: string): number {
  const m = /^(?:(\d+)-)?(\d+):(\d{2}):(\d{2})$/.exec(walltime);
  if (!m) throw new RangeError(`walltime must look like HH:MM:SS (or D-HH:MM:SS), got "${walltime}"`);
  return (((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000;
}

const MIN = 60_000;

/**
 * The default lifetime for a walltime: a margin below it of a twelfth of the walltime, at least
 * 2 minutes and at most 10 (the worker's start, its stagger and its retirement come out of it;
 * a retirement takes up to 30 s), never more than half the walltime; the stagger is half the
 * margin, so the latest worker still starts retiring half the margin before the walltime (less
 * the seconds from the job's start to the worker's registration, from which its lifetime counts).
 * A 1-hour job: 55 min ± 2.5 min; 2 hours: 1 h 50 min ± 5 min; 10 minutes: 8 min ± 1 min.
 */
export function defaultLifetime(walltime: number): { lifetimeMs: number; staggerMs: number } {
  const margin = Math.min(walltime / 2, Math.max(2 * MIN, Math.min(10 * MIN, walltime / 12)));
  return { lifetimeMs: Math.round((walltime - margin) / 1000) * 1000, staggerMs: Math.round(margin / 2 / 1000) * 1000 };
}

/** A duration as gluon-worker's flags take it: `55m`, `150s`, `800ms`. */
export function durationArg(ms: number): string {
  if (ms % MIN === 0) return `${ms / MIN}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}

/** What a cluster's options say of its workers' lifetime. */
export interface LifetimeOptions {
  walltime?: string;
  /** `55m`; `false`: none, even with a walltime. Default: from the walltime ({@link defaultLifetime}). */
  lifetime?: string | false;
  /** `4m`: how much each worker's lifetime varies either way. Default: from the walltime, else none. */
  lifetimeStagger?: string;
  /** `60s`; `false`: the worker waits for a scheduler for ever. Default {@link DEFAULT_DEATH_TIMEOUT}. */
  deathTimeout?: string | false;
  workerExtraArgs?: string[];
}

/** How a message names an option (the API's key, or what a CLI's user typed: job-cluster.ts's OptionName). */
type Name = (key: keyof LifetimeOptions) => string;

/**
 * The `--lifetime` / `--lifetime-stagger` arguments of a job's worker: those asked for, else the
 * default for the walltime; none without a walltime or with `lifetime: false`, nor when the
 * worker's extra arguments already give `--lifetime` (they win). Throws a RangeError naming the
 * option (as `name` spells it) for a bad duration, or a lifetime (with its stagger) not below the walltime.
 */
export function lifetimeArgs(o: LifetimeOptions, name: Name = (k) => k): string[] {
  if (o.lifetime === false) {
    if (o.lifetimeStagger !== undefined) throw new RangeError(`${name('lifetimeStagger')} varies the lifetime: it means nothing when ${name('lifetime')} turns the lifetime off`);
    return [];
  }
  if ((o.workerExtraArgs ?? []).some((a) => a === '--lifetime' || a.startsWith('--lifetime='))) return [];
  const given = o.lifetime === undefined ? undefined : checkedDuration(name('lifetime'), o.lifetime);
  const stagger = o.lifetimeStagger === undefined ? undefined : checkedDuration(name('lifetimeStagger'), o.lifetimeStagger);
  if (given === undefined && o.walltime === undefined) {
    if (stagger !== undefined) throw new RangeError(`${name('lifetimeStagger')} varies the lifetime: give ${name('lifetime')} (or ${name('walltime')}, from which it follows)`);
    return [];
  }
  const wall = o.walltime === undefined ? undefined : walltimeMs(o.walltime);
  const dflt = wall === undefined ? undefined : defaultLifetime(wall);
  const lifetime = given ?? dflt!.lifetimeMs;
  const spread = stagger ?? (given === undefined ? dflt!.staggerMs : 0);
  if (wall !== undefined && lifetime + spread >= wall) {
    // Each as given (`--lifetime 1h`), or the default's value and where it comes from.
    const life = given !== undefined ? `${name('lifetime')} ${o.lifetime}` : `the lifetime ${durationArg(lifetime)} (the default for that walltime)`;
    const plus = stagger !== undefined ? ` + ${name('lifetimeStagger')} ${o.lifetimeStagger}` : spread ? ` + its stagger ${durationArg(spread)}` : '';
    throw new RangeError(`${life}${plus} is not below ${name('walltime')} ${o.walltime}: the batch system would kill the worker before it retires`);
  }
  // With a walltime the check above already refuses it (a default lifetime is at least half the walltime).
  if (stagger !== undefined && stagger >= lifetime) throw new RangeError(staggerNotBelowText(name('lifetimeStagger'), stagger, name('lifetime'), lifetime));
  return ['--lifetime', durationArg(lifetime), ...(spread ? ['--lifetime-stagger', durationArg(spread)] : [])];
}

function checkedDuration(name: string, text: string): number {
  if (typeof text !== 'string') throw new RangeError(`${name} must be a duration like 55m, got ${JSON.stringify(text)}`);
  const ms = parseDuration(name, text);
  if (ms < 1000) throw new RangeError(`${name} must be at least 1s, got "${text}"`);
  return ms;
}

/**
 * How long a job's worker waits with no scheduler connected (at start, or after losing it) before
 * it gives up and ends its job (gluon-worker --death-timeout). Without it, the workers of a
 * cluster whose process died (a killed gluon-cluster, a script that crashed) held their batch
 * slots until the walltime, waiting for a scheduler that was gone. dask-jobqueue's default too.
 */
export const DEFAULT_DEATH_TIMEOUT = '60s';

/**
 * The `--death-timeout` argument of a job's worker: the one asked for, else
 * {@link DEFAULT_DEATH_TIMEOUT}; none with `deathTimeout: false`, nor when the worker's extra
 * arguments already give `--death-timeout` (they win). Throws a RangeError naming the option (as
 * `name` spells it) for a bad duration.
 */
export function deathTimeoutArgs(o: LifetimeOptions, name: Name = (k) => k): string[] {
  if (o.deathTimeout === false) return [];
  if ((o.workerExtraArgs ?? []).some((a) => a === '--death-timeout' || a.startsWith('--death-timeout='))) return [];
  return ['--death-timeout', durationArg(checkedDuration(name('deathTimeout'), o.deathTimeout ?? DEFAULT_DEATH_TIMEOUT))];
}
