/**
 * The benchmarks' settings from the environment, read as the CLIs read theirs (protocol's
 * envText): unset gives the default; set but empty or blank (`N= npx tsx bench/x.ts`, or
 * `N=$UNSET`) is refused, as is a value out of range, naming the variable, and the script exits 2
 * before measuring anything. Before, Number('') = 0 ran a benchmark with 0 repeats or 0 events and
 * wrote its results file as if that had been asked for.
 */
import path from 'node:path';
import { envText, parseIntIn } from '@gluon/protocol';

/** Prints `script: message` and exits 2 (a usage error), as the CLIs do. */
export function refuse(err: unknown): never {
  process.stderr.write(`${path.basename(process.argv[1] ?? 'bench')}: ${(err as Error).message}\n`);
  process.exit(2);
}

/** `$name` as text, or undefined when unset; set but blank is refused. */
export function envString(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return envText(env, name);
  } catch (err) {
    return refuse(err);
  }
}

/** `$name` as an integer in [min, max], or `dflt` when unset. */
export function envInt(name: string, dflt: number, min: number, max: number, env: NodeJS.ProcessEnv = process.env): number {
  try {
    const text = envText(env, name, { default: String(dflt) });
    return text === undefined ? dflt : parseIntIn(`$${name}`, text, min, max);
  } catch (err) {
    return refuse(err);
  }
}

/** `$name` as a number in [min, max], or `dflt` when unset. */
export function envNumber(name: string, dflt: number, min: number, max: number, env: NodeJS.ProcessEnv = process.env): number {
  try {
    const text = envText(env, name, { default: String(dflt) });
    if (text === undefined) return dflt;
    const n = Number(text);
    if (!(n >= min && n <= max)) throw new RangeError(`$${name} must be a number from ${min} to ${max}, got "${text}"`);
    return n;
  } catch (err) {
    return refuse(err);
  }
}
