/** Running a batch system's commands (sbatch, squeue, qsub, …): bounded, with errors that show what they said. */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * A batch command that failed: the command line, its exit status and what it printed; `about`,
 * where known, the option it refused, said first (`--queue nosuch: Slurm has no such partition …;
 * sbatch --parsable failed …`: submit-refusals.ts).
 */
export class BatchCommandError extends Error {
  override name = 'BatchCommandError';
  constructor(readonly command: string[], readonly status: number | string, readonly output: string, readonly about?: string) {
    super(`${about ? `${about}; ` : ''}${command.join(' ')} failed (${typeof status === 'number' ? `exit ${status}` : status}): ${output.trim() || 'no output'}`);
  }
}

/** Runs `command` with `input` on stdin; resolves with stdout, rejects with BatchCommandError. */
export function runCommand(command: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C at the terminal reaches this process, whose handler waits
    // for the command, not the command itself (an sbatch killed after submitting leaves a job no
    // one knows the id of, so no one cancels it; a scancel killed leaves the job running).
    const child = spawn(command[0]!, command.slice(1), {
      detached: true,
      env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', (e: NodeJS.ErrnoException) => reject(new BatchCommandError(command, e.code ?? 'error', e.code === 'ENOENT' ? `${command[0]} is not installed or not on PATH` : e.message)));
    child.on('close', (code, sig) => (code === 0 ? resolve(out) : reject(new BatchCommandError(command, code ?? sig ?? 'killed', `${err}${out}`))));
    if (child.stdin) {
      // A command that exits without reading its input reports its own error; EPIPE adds nothing.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/**
 * Refuses to go on when one of a batch system's `commands` is not an executable file on `path`
 * (PATH): checked before a scheduler starts or anything is printed, so a machine without, say,
 * qstat gets one line naming it instead of addresses and a token for a cluster that cannot run.
 */
export function requireCommands(system: string, commands: readonly string[], path = process.env.PATH ?? ''): void {
  const dirs = path.split(delimiter).filter(Boolean);
  const missing = commands.filter((c) => !dirs.some((d) => isExecutableFile(join(d, c))));
  if (missing.length) {
    const [one, ...more] = missing;
    throw new Error(`${system} needs ${commands.join(', ')}; ${more.length ? `${missing.join(', ')} are` : `${one} is`} not installed or not on PATH (nothing was started)`);
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Quotes a word for a POSIX shell script. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
