/**
 * Where the CLIs take the cluster token from, and how it stays out of `ps`: a process's command
 * line is readable by every user of the machine (/proc/PID/cmdline), its environment only by its
 * owner. So `--token-file` and `GLUON_TOKEN` are the recommended forms, a child process gets the
 * token through its environment, and a `--token` given anyway is masked once the process runs.
 */
import { readFileSync, statSync } from 'node:fs';
import { CloseCode } from './messages.js';
import { StartFailure } from './start-failure.js';

/** The token flags every CLI accepts. */
export interface TokenFlags {
  token?: string | undefined;
  'token-file'?: string | undefined;
}

/**
 * The token from `--token`, `--token-file` or `GLUON_TOKEN` (first given wins; `--token` and
 * `--token-file` together are an error), or undefined. Wherever it comes from, surrounding
 * whitespace (a file's final newline, a secret store's trailing newline in the variable) is removed
 * and whitespace inside is refused ({@link oneWord}): the same token from a file and from the
 * variable is the same token. Throws errors naming the flag, the path or the variable.
 * `warn` hears of a token file that users other than its owner may read.
 */
export function resolveToken(flags: TokenFlags, env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = () => {}): string | undefined {
  if (flags.token !== undefined && flags['token-file'] !== undefined) {
    throw new Error('--token and --token-file are both given: use one');
  }
  if (flags.token !== undefined) {
    if (flags.token.trim() === '') throw new Error(`--token is ${flags.token === '' ? 'empty' : 'only whitespace'}; leave it out to run without a token, or give the cluster's token`);
    return oneWord(flags.token, '--token');
  }
  const path = flags['token-file'];
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new StartFailure(`--token-file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const token = text.trim();
    if (token === '') throw new StartFailure(`--token-file ${path} is empty${text === '' ? '' : ' (only whitespace)'}; put the cluster's token in it, or leave --token-file out to run without a token`);
    try { oneWord(text, `--token-file ${path}`); } catch (err) { throw new StartFailure((err as Error).message); }
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) warn(`warning: --token-file ${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`);
    return token;
  }
  return tokenFromEnv(env);
}

/**
 * `GLUON_TOKEN`, or undefined when it is not set. Set but empty or blank (`GLUON_TOKEN= cmd`, or
 * `GLUON_TOKEN=$TOKEN` with TOKEN unset) throws: taken as "no token", it would start a scheduler
 * without authentication, or a worker that cannot join one that has a token, with nothing said.
 */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.GLUON_TOKEN;
  if (v === undefined) return undefined;
  if (v.trim() === '') {
    throw new Error(`GLUON_TOKEN is set but ${v === '' ? 'empty' : `holds only whitespace (${JSON.stringify(v)})`}; unset it to run without a token, or set it to the cluster's token`);
  }
  return oneWord(v, 'GLUON_TOKEN');
}

/**
 * `text` without surrounding whitespace, as a token read from text (a flag, a file, a variable)
 * is taken; throws, naming `source`, when whitespace remains inside: a token is one word, and
 * "abc def" is more likely two things pasted together than a secret with a space in it.
 */
function oneWord(text: string, source: string): string {
  const token = text.trim();
  if (/\s/.test(token)) throw new Error(`${source} holds more than one word; it must hold the token alone`);
  return token;
}

/**
 * Throws when an API's `token` option is given but empty or blank (`{ token: process.env.T ?? '' }`):
 * taken as "no token", it would silently run or connect without one; and when it holds whitespace
 * (around it, as `readFileSync(path, 'utf8')` leaves a final newline, or inside). `where` names
 * the call (`Scheduler.start`). Leaving `token` out (or undefined) means no token.
 */
export function checkTokenOption(token: unknown, where: string): void {
  if (token === undefined) return;
  if (typeof token !== 'string') throw new TypeError(`${where}: token must be a string, got ${token === null ? 'null' : typeof token}`);
  if (token.trim() === '') {
    throw new RangeError(`${where}: token is ${token === '' ? 'empty' : `only whitespace (${JSON.stringify(token)})`}; leave it out to run without a token, or give the cluster's token`);
  }
  // Not trimmed here but refused: the value in the caller's code is the one used, and a child
  // process or a CLI peer given it through GLUON_TOKEN would take it trimmed (a mismatch).
  if (/\s/.test(token)) {
    throw new RangeError(`${where}: token ${JSON.stringify(token)} holds whitespace${token.trim() === token ? '' : ' around it (a newline read with the file?)'}; give the token alone${token.trim() === token ? '' : ' (trim it)'}`);
  }
}

/** `args` without `--token X`, `--token=X`, `--token-file X`, `--token-file=X` (for a child's command line). */
export function withoutTokenArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--token' || a === '--token-file') {
      i++;
      continue;
    }
    if (a.startsWith('--token=') || a.startsWith('--token-file=')) continue;
    out.push(a);
  }
  return out;
}

/**
 * The variable a CLI's child processes learn through how the user gave the token ({@link tokenSource}):
 * they get the token itself in GLUON_TOKEN whatever the user used, so without it a refused child
 * could only list every way there is. Internal: it names a flag or a path, never the token.
 */
export const TOKEN_SOURCE_VAR = 'GLUON_TOKEN_SOURCE';

/**
 * How the user gave the token {@link resolveToken} takes from `flags` and `env`, in the words a
 * refusal names it by ({@link withTokenHelp}): `--token T` (the value is never repeated),
 * `--token-file PATH` with the path as given, or `GLUON_TOKEN`; undefined with no token. A child
 * process started by a CLI ({@link envWithToken}) names what its parent was given.
 */
export function tokenSource(flags: TokenFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flags.token !== undefined) return '--token T';
  if (flags['token-file'] !== undefined) return `--token-file ${flags['token-file']}`;
  if (env.GLUON_TOKEN === undefined) return undefined;
  const passed = env[TOKEN_SOURCE_VAR];
  // Only the forms above: anything else in the variable (set by hand) is not believed.
  return passed === '--token T' || passed?.startsWith('--token-file ') ? passed : 'GLUON_TOKEN';
}

/**
 * The environment a child process gets the token through (or the current one without it), and
 * with it `source`, how the user gave it ({@link tokenSource}), for the child's errors to name.
 */
export function envWithToken(token: string | undefined, env: NodeJS.ProcessEnv = process.env, source?: string): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out[TOKEN_SOURCE_VAR];
  if (token !== undefined && token !== '') {
    out.GLUON_TOKEN = token;
    if (source !== undefined) out[TOKEN_SOURCE_VAR] = source;
  } else delete out.GLUON_TOKEN;
  return out;
}

/**
 * Masks a `--token` value in this process's command line as `ps` shows it (it stays visible for
 * the moment between the start and this call: prefer `--token-file` or `GLUON_TOKEN`). Returns
 * true when there was one to mask.
 */
export function hideTokenFromPs(argv: readonly string[] = [process.argv[0]!, ...process.execArgv, ...process.argv.slice(1)]): boolean {
  let found = false;
  const shown = argv.map((a, i) => {
    if (argv[i - 1] === '--token') {
      found = true;
      return '***';
    }
    if (a.startsWith('--token=')) {
      found = true;
      return '--token=***';
    }
    return a;
  });
  // On Linux, node writes the title over the memory /proc/PID/cmdline is read from.
  if (found) process.title = shown.join(' ');
  return found;
}

/**
 * A refusal for a missing or wrong token (close code 4001), with how *this* caller gives one
 * appended: the refusing side cannot know whether its peer is a CLI with `--token-file`, one that
 * reads only GLUON_TOKEN, or a library call. Other errors come back unchanged.
 */
export function withTokenHelp<E extends Error>(err: E, help: string): E {
  if ((err as { code?: unknown }).code !== CloseCode.badToken || err.message.includes(help)) return err;
  err.message = `${err.message}; give the scheduler's token with ${help}`;
  return err;
}

/**
 * How gluon-worker and gluon-scheduler take a token, for {@link withTokenHelp} when none was
 * given (with one, name the way it was given: {@link tokenSource}).
 */
export const TOKEN_HELP_FLAGS = 'GLUON_TOKEN, --token-file PATH or --token T';

/** How the analysis CLIs (gluon-h4l, gluon-finalstates) take a token: they have no token flag. */
export const TOKEN_HELP_ENV = 'the GLUON_TOKEN environment variable';
