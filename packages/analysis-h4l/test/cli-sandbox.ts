/** The gluon-h4l CLI run as a user runs it, in a temporary directory of the test's own. */
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

/** The built CLI. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** How a CLI run ended. */
export interface Ran { code: number; stdout: string; stderr: string }

export interface CliOptions { cwd?: string; env?: NodeJS.ProcessEnv }

/**
 * A temporary directory removed at `t`'s teardown, and two ways to run `gluon-h4l` in it:
 * `cli` rejects when the command fails (for runs that must succeed), `cliRan` always resolves
 * with the exit code and output (for runs whose failure is the point).
 */
export function cliSandbox(t: Test, prefix: string): {
  tmp: string;
  cli(args: string[], o?: CliOptions): Promise<{ stdout: string; stderr: string }>;
  cliRan(args: string[], o?: CliOptions): Promise<Ran>;
} {
  const tmp = mkdtempSync(path.join(tmpdir(), prefix));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const cli = (args: string[], o: CliOptions = {}) =>
    run(process.execPath, [CLI, ...args], { cwd: o.cwd ?? tmp, timeout: 120_000, ...(o.env ? { env: o.env } : {}) });
  const cliRan = (args: string[], o: CliOptions = {}): Promise<Ran> => cli(args, o).then((r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
  return { tmp, cli, cliRan };
}

/** A JSON file's content. */
export const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
