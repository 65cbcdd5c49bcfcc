/**
 * The token gluon-cluster makes for a scheduler other hosts reach, kept in `~/.gluon/cluster-token`
 * (mode 0600) for the user's clients. The file is read before a new one is made: every cluster
 * the user starts without GLUON_TOKEN uses the token already there, so starting a second cluster
 * never replaces the token the clients of the first are reading.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where the kept token lives. */
export function keptTokenFile(): string {
  return join(homedir(), '.gluon', 'cluster-token');
}

/**
 * The kept token, or undefined when there is none to use: no file, an empty one, or one that
 * others may read or that is not the user's (a token there may be known; a fresh one replaces it).
 */
export function readKeptToken(file = keptTokenFile()): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || (st.mode & 0o077) !== 0 || (process.getuid && st.uid !== process.getuid())) return undefined;
    const token = readFileSync(file, 'utf8').trim();
    return token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `token` in the file, readable by the user only. */
export function keepToken(token: string, file = keptTokenFile()): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
