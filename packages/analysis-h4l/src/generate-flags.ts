/**
 * The number flags of `generate` (gluon-h4l generate, gluon-finalstates generate), checked once
 * here so both CLIs accept the same values and refuse the rest with the same message.
 */
import { ConfigError } from './config-error.js';
import { SCALE_RANGE, SEED_RANGE } from './generate/ranges.js';

/** A number flag: Number(text), checked by `ok`; a ConfigError naming the flag otherwise. */
export function numberFlag(flag: string, text: string | boolean | undefined, ok: (n: number) => boolean, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = typeof text === 'string' && text.trim() !== '' ? Number(text) : NaN;
  if (!ok(n)) throw new ConfigError(`--${flag} must be ${what}, got ${JSON.stringify(text)}`);
  return n;
}

/** Each generate number flag: what it accepts (for the check and its message). */
export const GENERATE_NUMBER_FLAGS = {
  scale: { ok: (n: number) => n >= SCALE_RANGE.min && n <= SCALE_RANGE.max, what: `a number from ${SCALE_RANGE.min} to ${SCALE_RANGE.max}` },
  seed: { ok: (n: number) => Number.isSafeInteger(n) && n >= SEED_RANGE.min && n <= SEED_RANGE.max, what: 'a non-negative integer' },
  threads: { ok: (n: number) => Number.isInteger(n) && n >= 1 && n <= 256, what: 'an integer from 1 to 256' },
} as const;

/**
 * The generate number flags given (`--scale`, `--seed`, `--threads`, as parseArgs' texts), each
 * checked; a flag not given stays undefined (the caller's default applies).
 */
export function generateNumbers(values: Partial<Record<keyof typeof GENERATE_NUMBER_FLAGS, string | boolean | undefined>>): Partial<Record<keyof typeof GENERATE_NUMBER_FLAGS, number>> {
  const out: Partial<Record<keyof typeof GENERATE_NUMBER_FLAGS, number>> = {};
  for (const [flag, spec] of Object.entries(GENERATE_NUMBER_FLAGS) as [keyof typeof GENERATE_NUMBER_FLAGS, typeof GENERATE_NUMBER_FLAGS[keyof typeof GENERATE_NUMBER_FLAGS]][]) {
    const n = numberFlag(flag, values[flag], spec.ok, spec.what);
    if (n !== undefined) out[flag] = n;
  }
  return out;
}

/**
 * The demos' dataset numbers from the environment (`PREFIX_SCALE`, `PREFIX_SEED`: H4L_DEMO_…,
 * FINALSTATES_DEMO_…): unset, the default (scale 0.2, seed 1); set, checked as `--scale` and
 * `--seed` are, with a ConfigError naming the variable. Set but empty was read as Number('') = 0:
 * seed 0, another dataset generated at length, said nowhere (scale 0 failed naming no variable).
 */
export function demoNumbers(prefix: string, env: NodeJS.ProcessEnv = process.env): { scale: number; seed: number } {
  const read = (key: 'scale' | 'seed', dflt: number): number => {
    const name = `${prefix}_${key.toUpperCase()}`;
    const text = env[name];
    if (text === undefined) return dflt;
    const spec = GENERATE_NUMBER_FLAGS[key];
    if (text.trim() === '') throw new ConfigError(`${name} is set but empty; unset it for the default (${dflt}), or set it to ${spec.what}`);
    const n = Number(text);
    if (!spec.ok(n)) throw new ConfigError(`${name} must be ${spec.what}, got ${JSON.stringify(text)}`);
    return n;
  };
  return { scale: read('scale', 0.2), seed: read('seed', 1) };
}
