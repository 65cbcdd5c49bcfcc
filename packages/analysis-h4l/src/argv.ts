/**
 * Command-line words before node's parseArgs sees them, shared by every analysis CLI
 * (gluon-h4l, gluon-finalstates).
 */
import { existsSync } from 'node:fs';
import type { SettingsAsGiven } from '@gluon/client';
import { nearest, strayWord } from '@gluon/protocol/tools';

/**
 * `argv` with each negative number after a flag that takes a value joined to it (`--jobs -1` →
 * `--jobs=-1`), so the flag's own range check refuses it ("--jobs must be an integer ≥ 1, got
 * "-1"") instead of parseArgs saying only "argument is ambiguous"; after a flag of `dashValues`,
 * whatever follows (`--job-extra --exclusive`: a directive, as gluon-cluster takes it). `options`
 * is parseArgs'.
 */
export function joinNegativeValues(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>, dashValues: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const takesValue = a.startsWith('--') && Object.hasOwn(options, a.slice(2)) && options[a.slice(2)]!.type === 'string';
    if (takesValue && i + 1 < argv.length && (/^-\d/.test(argv[i + 1]!) || dashValues.includes(a.slice(2)))) out.push(`${a}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

/**
 * A usage error's message with where the flags are listed: `msg (gluon-h4l run --help lists the
 * options)`. `command` is what the user types before `--help` (`gluon-finalstates generate`).
 */
export function withHelpPointer(msg: string, command: string): string {
  return `${msg} (${command} --help lists the options)`;
}

/**
 * Why `word`, where a CLI's command goes, is none of `commands` (the first is the main one): a
 * flag before any command (`gluon-h4l --data-dir DIR`, as gluon-finalstates takes its flags), a
 * misspelt command (`runn`: the likely one), or another word (the commands listed). It said only
 * `unknown command "--data-dir"` and printed the usage.
 */
export function unknownCommandText(cli: string, word: string, commands: readonly string[]): string {
  const list = `commands: ${commands.join(', ')}`;
  if (word.startsWith('-')) return `${cli}: ${word} is a flag, but a command comes first: ${cli} ${commands[0]} ${word} … (${list})`;
  const near = nearest(word, commands);
  return `${cli}: unknown command "${word}"${near ? ` (did you mean ${near}?)` : ''} (${list})`;
}

/**
 * `msg`, parseArgs' refusal of a word that is no flag's value (`Unexpected argument 'generat'`),
 * with the command it likely is, from `commands` (command → how it is typed, e.g. `plot` →
 * `--plots-only --run-dir DIR` where the command is a flag). Other messages are returned as given.
 */
export function withMeantCommand(msg: string, cli: string, commands: Readonly<Record<string, string>>): string {
  const word = strayWord(msg);
  const near = word === undefined ? undefined : nearest(word, Object.keys(commands));
  return near === undefined ? msg : `${msg} (did you mean ${cli} ${commands[near]}?)`;
}

/**
 * `msg`, parseArgs' refusal of a stray word, with `flag WORD` when WORD names a file or directory
 * that exists (`gluon-h4l run ../data/4lep`: `--data-dir` left out); parseArgs said only
 * `This command does not take positional arguments`. Other messages, and a message that already
 * names what was meant, are returned as given.
 */
export function withPathFlag(msg: string, flag: string): string {
  const word = strayWord(msg);
  if (word === undefined || msg.includes('(did you mean') || !existsSync(word)) return msg;
  return `${msg} (did you mean ${flag} ${word}?)`;
}

/**
 * `msg` with `hint` (a parenthesised way out) after it: on a line of its own when `msg` has several
 * lines (a YAML error ends in its excerpt and a caret line), else after a space.
 */
export function withHint(msg: string, hint: string): string {
  const text = msg.trimEnd();
  return `${text}${text.includes('\n') ? '\n' : ' '}${hint}`;
}

/**
 * `msg`, parseArgs' refusal of an unknown flag, with what that flag stands for here when `meant`
 * names it: a flag of another command or of the other analysis CLI (gluon-h4l's --out given to
 * gluon-finalstates, whose run directory has other flags), which nearest() cannot reach by
 * spelling. `meant` maps the flag (no dashes) to the words naming this command's flag(s);
 * `command` is how the hint names this command (`run`, `gluon-finalstates`).
 */
export function withMeantFlag(msg: string, command: string, meant: Readonly<Record<string, string>>): string {
  const unknown = /^Unknown option '--([^'=]+)'/.exec(msg)?.[1];
  // Own keys only: `--constructor` found Object's and suggested "--function Object() { [native code] }".
  if (unknown === undefined || !Object.hasOwn(meant, unknown) || msg.includes('(did you mean')) return msg;
  return `${msg} (did you mean ${meant[unknown]}? ${command} has no --${unknown})`;
}

/**
 * How conflict messages name each setting: the flag as typed (`--cluster slurm`, `--no-dashboard`),
 * else the key, value and config file it came from (`cluster: slurm in /x/config.yaml`), else
 * the default (`the default n_workers 2`); one not set, by its flag and key (`--scheduler (or
 * scheduler in the config file)`). `typed`: key → the flag and value as typed; `flagOf`: key → its
 * flag (without dashes); `inFile`: the config file's keys.
 */
export function settingsAsGiven(typed: Record<string, string>, flagOf: Record<string, string>, inFile: object, configFile: string | null): SettingsAsGiven {
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return {
    given: (key, value) => typed[key]
      ?? (configFile !== null && Object.hasOwn(inFile, key) ? `${key}: ${show(value)} in ${configFile}` : `the default ${key} ${show(value)}`),
    toGive: (key) => (flagOf[key] !== undefined ? `--${flagOf[key]} (or ${key} in the config file)` : `${key} in the config file`),
    named: (key) => (typed[key] !== undefined && flagOf[key] !== undefined ? `--${flagOf[key]}`
      : configFile !== null && Object.hasOwn(inFile, key) ? `${configFile}: ${key}` : flagOf[key] !== undefined ? `--${flagOf[key]}` : key),
  };
}

/** A flag and its value as typed, for a message (`--job-queue "a b"`, `--no-dashboard`). */
export function typedFlag(flag: string, value: string | boolean): string {
  return value === true ? `--${flag}` : `--${flag} ${/^[^\s"']+$/.test(String(value)) ? value : JSON.stringify(value)}`;
}
