/**
 * Command lines of every Gluon CLI, described as one table of flags: each flag says what it does
 * (for `--help`), its default, and how its text is checked and turned into a value. Adding a flag
 * is one table row; `--help` and `--version` come for free; a bad value exits 2 with a message
 * that names the flag and the value.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBytes, parseDuration, parseIntIn, sizeNote } from './units.js';
import { nearest } from './option-keys.js';

/** One command-line flag. `T` is the parsed value's type. */
export interface Flag<T> {
  /** What the flag does, one line, for `--help`. */
  help: string;
  /** Placeholder for the value in `--help` (`N`, `SIZE`); absent for an on/off switch. */
  arg?: string;
  /** The default as it would be typed; parsed like a given value. */
  default?: string;
  /** Environment variable used when the flag is not given. */
  env?: string;
  /** One-letter alias. */
  short?: string;
  /** Repeatable; the values arrive as an array. */
  multiple?: boolean;
  /** Its value may itself start with a dash (`--job-extra --qos=high`). */
  dashValue?: boolean;
  /** Checks and converts the text; throws an Error naming `flag` and the text when it is bad. */
  parse: (text: string, flag: string) => T;
}

/** A table of flags, keyed by long name without the dashes. */
export type FlagTable = Record<string, Flag<unknown>>;

/** The parsed values of a table. */
export type FlagValues<F extends FlagTable> = { [K in keyof F]: F[K] extends Flag<infer T> ? T : never };

/** What a CLI is, for its `--help` and `--version`. */
export interface CliSpec<F extends FlagTable> {
  /** The command's name (`gluon-scheduler`). */
  name: string;
  /** Its package version, printed by `--version`. */
  version: string;
  /** What comes after the name in the usage line, e.g. `ws://host:8786 [options]`. */
  usage: string;
  /** A paragraph saying what the command does. */
  description: string;
  flags: F;
  /** How many positional arguments it takes (default 0); `--help` names them in `usage`. */
  positionals?: { min: number; max: number; name: string };
  /** What stands here for another tool's flags (`--partition`: `--queue`), said in place of the nearest spelling. */
  meant?: MeantFlags;
}

/**
 * What stands here for an unknown flag that is another tool's (sbatch's `--partition`), given the
 * flag (without dashes) and its value as typed, if any: the words after `did you mean `
 * (`--queue? Slurm's --partition is --queue here`), or undefined for a flag it does not know. The
 * nearest spelling guessed wrong there: `--qos` was "did you mean --jobs?", `--gres` "--cores?".
 */
export type MeantFlags = (flag: string, value: string | undefined) => string | undefined;

/** A usage error: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `T` when the flag has a default, else `T | undefined`. */
type Dflt<D, T> = D extends string ? T : T | undefined;

/** Flag-table builders with the validators every Gluon CLI uses. */
export const flag = {
  /** A string; `check` may reject it (throw an error naming the flag and the text). */
  string<D extends string | undefined = undefined>(help: string, o: { arg?: string; default?: D; env?: string; check?: (text: string, flag: string) => void } = {}): Flag<Dflt<D, string>> {
    const { check, ...rest } = o;
    return { help, arg: o.arg ?? 'TEXT', ...(rest as object), parse: (t, f) => { check?.(t, f); return t as Dflt<D, string>; } };
  },
  /** An on/off switch (false unless given). */
  switch(help: string): Flag<boolean> {
    return { help, parse: () => true };
  },
  /** A repeatable string; `dashValue`: values may start with a dash. */
  list(help: string, arg: string, o: { dashValue?: boolean } = {}): Flag<string[]> {
    return { help, arg, multiple: true, ...(o.dashValue ? { dashValue: true } : {}), parse: ((t: string) => t) as never };
  },
  /** An integer in [min, max]. */
  int<D extends string | undefined = undefined>(help: string, min: number, max: number, dflt?: D, arg = 'N'): Flag<Dflt<D, number>> {
    return { help, arg, ...withDefault(dflt), parse: (t, f) => parseIntIn(f, t, min, max) };
  },
  /** A TCP port (0 = any free port). */
  port(help: string, dflt: string): Flag<number> {
    return { help, arg: 'PORT', default: dflt, parse: (t, f) => parseIntIn(f, t, 0, 65535) };
  },
  /** A duration (`500ms`, `30s`, `2m`; a bare number is seconds) → milliseconds, within [minMs, maxMs]. */
  duration<D extends string | undefined = undefined>(help: string, minMs: number, maxMs: number, dflt?: D): Flag<Dflt<D, number>> {
    return { help, arg: 'DURATION', ...withDefault(dflt), parse: (t, f) => inRange(f, t, parseDuration(f, t), minMs, maxMs, durationText) };
  },
  /** A size (`64MiB`, `2GB`; a bare number is bytes) → bytes, within [min, max]. */
  bytes<D extends string | undefined = undefined>(help: string, min: number, max: number, dflt?: D): Flag<Dflt<D, number>> {
    return { help, arg: 'SIZE', ...withDefault(dflt), parse: (t, f) => { const n = parseBytes(f, t); return inRange(f, t, n, min, max, fmtBytes, sizeNote(t, n)); } };
  },
  /** One of a fixed set of words. */
  choice<const W extends string, D extends W | undefined = undefined>(help: string, words: readonly W[], dflt?: D): Flag<Dflt<D, W>> {
    return {
      help: `${help} (${words.join(', ')})`, arg: 'WORD', ...withDefault(dflt),
      parse: (t, f) => {
        if (!(words as readonly string[]).includes(t)) throw new RangeError(`${f} must be one of ${words.join(', ')}, got "${t}"`);
        return t as Dflt<D, W>;
      },
    };
  },
};

function withDefault(d: string | undefined): { default?: string } {
  return d === undefined ? {} : { default: d };
}

/** `v` (read from `text`) when in [lo, hi]; else a RangeError naming the flag, the range and the text, then `note`. */
function inRange(f: string, text: string, v: number, lo: number, hi: number, fmt: (n: number) => string, note = ''): number {
  if (!(v >= lo && v <= hi)) throw new RangeError(`${f} must be from ${fmt(lo)} to ${fmt(hi)}, got "${text}"${note}`);
  return v;
}

/** A duration as the CLIs' duration flags take it, in its largest whole unit: `2h`, `4m`, `90s`, `500ms`. */
export function durationText(ms: number): string {
  return ms % 3600_000 === 0 && ms >= 3600_000 ? `${ms / 3600_000}h` : ms % 60000 === 0 && ms >= 60000 ? `${ms / 60000}m` : ms % 1000 === 0 && ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Why a lifetime stagger not below the lifetime is refused (gluon-worker, GluonWorker, the deploy
 * launchers): a worker retires at the lifetime moved at random by up to the stagger either way
 * (never before it starts), so some would retire at once.
 */
export function staggerNotBelowText(staggerName: string, staggerMs: number, lifetimeName: string, lifetimeMs: number): string {
  return `${staggerName} ${durationText(staggerMs)} is not below ${lifetimeName} ${durationText(lifetimeMs)}: each worker retires at the lifetime moved at random by up to the stagger either way, so some would retire as soon as they start`;
}

function fmtBytes(n: number): string {
  for (const [u, m] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (n >= m && n % m === 0) return `${n / m}${u}`;
  return `${n}B`;
}

/**
 * A parseArgs error as a user should read it: without its advice about `--` (which never applies
 * to these CLIs) and, for an unknown option, with the flag it most likely misspells
 * (`Unknown option '--prot' (did you mean --port?)`), and for a bare port number where no word is
 * taken, its flag (`Unexpected argument '28786' … (did you mean --port 28786?)`). `flags` are the
 * known names, without dashes; `given` (the command line and parseArgs' options) lets a word left
 * after a flag's value name that flag (`Unexpected argument 'b' … (b follows --hosts a, …)`).
 */
export function parseArgsMessage(err: unknown, flags: readonly string[], given?: { argv: readonly string[]; options: Readonly<Record<string, { type: string; multiple?: boolean }>> },
                                 meant?: { words: MeantFlags; argv: readonly string[] }): string {
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\. To specify a positional argument[\s\S]*$/, '');
  const unknown = /^Unknown option '--([^'=]+)'/.exec(msg)?.[1];
  const stands = unknown === undefined || !meant ? undefined : meant.words(unknown, unknownValue(unknown, meant.argv));
  if (stands) return `${msg} (did you mean ${stands})`;
  const near = unknown === undefined ? undefined : nearest(unknown, [...flags]);
  if (near) return `${msg} (did you mean --${near}?)`;
  // `gluon-scheduler 28786`: a port number given as a word, where the command takes none.
  const stray = strayWord(msg);
  // `--hosts a b`: a list after one flag (`given`: the command line and parseArgs' options).
  const o = given?.options;
  const after = stray !== undefined && o ? wordsAfterValue((n) => (o[n]?.type === 'string' ? { multiple: Boolean(o[n]!.multiple) } : undefined), given!.argv) : '';
  if (after) return `${msg} (${after})`;
  return stray !== undefined && /^\d{1,5}$/.test(stray) && Number(stray) <= 65535 && flags.includes('port') ? `${msg} (did you mean --port ${stray}?)` : msg;
}

/** The value typed with unknown flag `--name` (`--name=V`, or `--name V` where V is no flag), or undefined. */
function unknownValue(name: string, argv: readonly string[]): string | undefined {
  const i = argv.findIndex((w) => w === `--${name}` || w.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const w = argv[i]!;
  if (w.includes('=')) return w.slice(w.indexOf('=') + 1);
  const next = argv[i + 1];
  return next !== undefined && !next.startsWith('-') ? next : undefined;
}

/** {@link wordsAfterValue} over a flag table, as `: …` to end a message (or empty). */
function afterValue(flags: FlagTable, argv: readonly string[]): string {
  const why = wordsAfterValue((n) => (flags[n]?.arg ? { multiple: Boolean(flags[n]!.multiple) } : undefined), argv);
  return why ? `: ${why}` : '';
}

/** The word of parseArgs' refusal of a word no flag takes (`Unexpected argument 'WORD'. …`), or undefined for another message. */
export function strayWord(msg: string): string | undefined {
  return /^Unexpected argument '([^']+)'/.exec(msg)?.[1];
}

/** The `--help` text of a CLI. */
export function helpText<F extends FlagTable>(spec: CliSpec<F>): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : ''}--${name}${f.arg ? ` ${f.arg}` : ''}`;
    const extra = [f.default !== undefined ? `default ${f.default}` : '', f.env ? `or $${f.env}` : '', f.multiple ? 'repeatable' : ''].filter(Boolean);
    return [left, `${f.help}${extra.length ? ` (${extra.join('; ')})` : ''}`];
  });
  rows.push(['-h, --help', 'show this help and exit'], ['--version', 'print the version and exit']);
  const w = Math.min(32, Math.max(...rows.map(([l]) => l.length)) + 2);
  // A help text of several lines keeps its later lines in the help column, not at the margin.
  const column = (r: string) => r.replace(/\n/g, `\n  ${' '.repeat(w)}`);
  const lines = rows.map(([l, r]) => (l.length + 2 > w ? `  ${l}\n  ${' '.repeat(w)}${column(r)}` : `  ${l.padEnd(w)}${column(r)}`));
  return `usage: ${spec.name} ${spec.usage}\n\n${spec.description}\n\noptions:\n${lines.join('\n')}\n`;
}

/**
 * Parses `argv` against the table. Returns the values (defaults and environment variables filled
 * in, every value checked) and positionals, or `{ exit }` when `--help`/`--version` was printed.
 * Throws UsageError for anything wrong, naming the flag and the value.
 */
export function parseCli<F extends FlagTable>(spec: CliSpec<F>, argv: string[], env: NodeJS.ProcessEnv = process.env):
  { values: FlagValues<F>; positionals: string[] } | { exit: string } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
  };
  for (const [name, f] of Object.entries(spec.flags)) {
    options[name] = { type: f.arg ? 'string' : 'boolean', ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  // `--job-extra --qos=high`: for flags whose values may start with a dash, the next word is the
  // value; so is a negative number after any flag that takes a value (`--nthreads -1`), to be
  // refused by its range check rather than as parseArgs' "argument is ambiguous".
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!.startsWith('--') ? spec.flags[argv[i]!.slice(2)] : undefined;
    if (f && i + 1 < argv.length && (f.dashValue || (f.arg && /^-\d/.test(argv[i + 1]!)))) joined.push(`${argv[i]}=${argv[++i]}`);
    else joined.push(argv[i]!);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: joined, options, allowPositionals: (spec.positionals?.max ?? 0) > 0, strict: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, Object.keys(options), undefined, spec.meant && { words: spec.meant, argv }));
  }
  const { values: raw, positionals } = parsed;
  if (raw.help) return { exit: helpText(spec) };
  if (raw.version) return { exit: `${spec.name} ${spec.version}\n` };
  const pos = spec.positionals ?? { min: 0, max: 0, name: '' };
  if (positionals.length < pos.min || positionals.length > pos.max) {
    const want = pos.min === pos.max ? `${pos.min}` : `${pos.min} to ${pos.max}`;
    throw new UsageError(`expected ${want} ${pos.name || 'positional arguments'}, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}${positionals.length > pos.max ? afterValue(spec.flags, argv) : ''}`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    const given = raw[name] as string | boolean | string[] | undefined;
    const option = `--${name}`;
    if (!f.arg) { values[name] = given === true; continue; }
    if (f.multiple) { values[name] = ((given as string[] | undefined) ?? []).map((t) => check(f, t, option)); continue; }
    const fromEnv = f.env && given === undefined ? envText(env, f.env, { option, ...withDefault(f.default) }) : undefined;
    const text = (given as string | undefined) ?? fromEnv ?? f.default;
    const label = fromEnv !== undefined ? `$${f.env}` : option;
    values[name] = text === undefined ? undefined : check(f, text, label);
  }
  return { values: values as FlagValues<F>, positionals };
}

/** Whether flag `name` takes a value, and if so whether it may be repeated; undefined: it takes none (or is unknown). */
type ValueOf = (name: string) => { multiple: boolean } | undefined;

/**
 * Why a command line has words no flag takes, when they are a list given after one flag
 * (`--hosts login1 node1 node2`): a flag takes one value, so the rest were read as positionals and
 * the message named only those. Empty when no word follows a flag's value.
 */
export function wordsAfterValue(valueOf: ValueOf, argv: readonly string[]): string {
  for (let i = 0; i + 2 < argv.length; i++) {
    const name = argv[i]!.startsWith('--') && !argv[i]!.includes('=') ? argv[i]!.slice(2) : '';
    const f = name ? valueOf(name) : undefined;
    if (!f) continue;
    const value = argv[i + 1]!;
    const after: string[] = [];
    for (let j = i + 2; j < argv.length && !argv[j]!.startsWith('-'); j++) after.push(argv[j]!);
    if (!after.length) continue;
    const how = f.multiple ? `; repeat the flag for each: --${name} ${[value, ...after].join(` --${name} `)}` : '';
    return `${after.join(' ')} ${after.length === 1 ? 'follows' : 'follow'} --${name} ${value}, and a flag takes one value${how}`;
  }
  return '';
}

/**
 * The environment variable `name`, or undefined when it is not set. Set but empty or blank
 * (`VAR= cmd`, `VAR=$UNSET`) throws a UsageError: read as the default, or as Number('') = 0, it
 * would run with a value nobody chose, unsaid. `how.option` is the flag the variable stands for
 * and `how.default` the value unset gives, both for the message.
 */
export function envText(env: NodeJS.ProcessEnv, name: string, how: { option?: string; default?: string } = {}): string | undefined {
  const v = env[name];
  if (v === undefined || v.trim() !== '') return v;
  const { option, default: dflt } = how;
  const unset = dflt !== undefined ? `for ${option ? `${option}'s` : 'the'} default (${dflt})` : option ? `to leave ${option} out` : 'to leave it out';
  throw new UsageError(`$${name} is set but ${v === '' ? 'empty' : 'holds only whitespace'}; unset it ${unset}, ${option ? `give it a value, or give ${option}` : 'or give it a value'}`);
}

function check<T>(f: Flag<T>, text: string, option: string): T {
  try {
    return f.parse(text, option);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `parseCli` for a CLI's `main`: prints `--help`/`--version` and exits 0, prints a usage error
 * (with a pointer to `--help`) and exits 2.
 */
export function parseCliOrExit<F extends FlagTable>(spec: CliSpec<F>, argv: string[] = process.argv.slice(2)): { values: FlagValues<F>; positionals: string[] } {
  try {
    const r = parseCli(spec, argv);
    if ('exit' in r) {
      process.stdout.write(r.exit);
      process.exit(0);
    }
    return r;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return exitUsage(spec.name, err.message);
  }
}

/**
 * Whether `--name` was written on the command line (`--name`, `--name=V`), as against filled in
 * from its environment variable or default: a flag that something else makes pointless is an
 * error when typed, but only worth a warning when it comes from an environment set for a site.
 */
export function flagGiven(name: string, argv: readonly string[] = process.argv.slice(2)): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
}

/** Prints `<name>: <msg>` and a pointer to `--help` on stderr, and exits 2. */
export function exitUsage(name: string, msg: string): never {
  process.stderr.write(`${name}: ${msg}\n(${name} --help lists the options)\n`);
  process.exit(2);
}

/** The version in the package.json one level above a module's folder (`dist/cli.js` → `package.json`). */
export function packageVersionOf(moduleUrl: string | URL): string {
  return (JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version: string }).version;
}

/** The token flags every Gluon CLI takes (resolved by `resolveToken`). */
export const TOKEN_FLAGS = {
  'token-file': flag.string("file holding the cluster's shared secret (or $GLUON_TOKEN)", { arg: 'PATH' }),
  token: flag.string('the shared secret itself (visible in ps; prefer --token-file or $GLUON_TOKEN)', { arg: 'T' }),
};

/** The message-size limits every Gluon listener and connection takes. */
export const LIMIT_FLAGS = {
  'max-frame-bytes': flag.bytes('largest frame accepted from any connection', 1024, 2 * 1024 ** 3, '256MiB'),
  // At most 4 GiB: msgpackr builds no larger buffer, so a larger budget could never be used.
  'max-message-bytes': flag.bytes('largest message (reassembled from chunks) accepted or sent; a memory budget', 64 * 1024, 4 * 1024 ** 3, '1GiB'),
};

/**
 * `--max-unauthenticated-connections`: connections each listener holds before they authenticate
 * (`ListenOptions.maxUnauthenticatedConnections`); one range and default for every Gluon process
 * that listens. `ways` are how a connection authenticates on that process's listeners, as its
 * `--help` says them: a worker has no dashboard, so its help must not offer a dashboard login.
 */
export function unauthenticatedFlag(ways: string) {
  return {
    'max-unauthenticated-connections': flag.int(`connections held at once per listener before they authenticate (${ways}); past it, or with no file descriptor left, the oldest of them are closed to take in new ones`, 1, 1_000_000, '512'),
  };
}

/**
 * Flags that `LocalCluster` also takes as options (`memoryLimit`, `heartbeatTtl`,
 * `allowedFailures`): defined once here, so it checks a value with the same range as the CLI and
 * names its own option, before any process starts.
 */
export const MEMORY_LIMIT_FLAG = {
  'memory-limit': flag.bytes('RSS above which the worker pauses and stops its longest-running task; also caps each task thread heap at its share', 1024 ** 2, 1024 ** 5),
};
/** `gluon-scheduler --heartbeat-ttl` (`LocalCluster`'s `heartbeatTtl`). */
export const HEARTBEAT_TTL_FLAG = {
  'heartbeat-ttl': flag.duration('a worker silent this long is declared dead', 100, 24 * 3600_000, '30s'),
};
/** `gluon-scheduler --allowed-failures` (`LocalCluster`'s `allowedFailures`). */
export const ALLOWED_FAILURES_FLAG = {
  'allowed-failures': flag.int('worker deaths a task may be part of before it errs', 1, 1000, '3'),
};

/**
 * `--max-send-backlog`: most bytes that may wait to be written to one connection before its peer
 * counts as not reading and is dropped (4010; `ConnectionOptions.maxSendBacklogBytes`). One
 * range and default for every Gluon process that serves connections; `who` names the peers it
 * applies to in the help text.
 */
export function sendBacklogFlag(who: string) {
  return {
    'max-send-backlog': flag.bytes(`${who} with more than this waiting to be sent to it is not reading: drop it (4010)`, 1024 * 1024, 64 * 1024 ** 3, '256MiB'),
  };
}

/** The TLS flags of every Gluon listener (read by `loadTlsFiles`). */
export const TLS_FLAGS = {
  'tls-cert': flag.string('certificate (PEM) to serve wss:// with', { arg: 'PEM' }),
  'tls-key': flag.string('private key (PEM) of --tls-cert', { arg: 'PEM' }),
  'tls-ca': flag.string('CA certificate (PEM) that peers\' certificates must chain to', { arg: 'PEM' }),
  'require-client-cert': flag.switch('accept only connections with a certificate from --tls-ca (mutual TLS)'),
};
