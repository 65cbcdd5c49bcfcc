/**
 * The honest ways a run directory is not writable by an analysis CLI, whoever runs the tests
 * (shared by gluon-h4l's plot and gluon-finalstates' --merge-only / --plots-only tests):
 * - its mode: as a user, the directories made read-only (chmod) for the CLI's run; as root, whom
 *   modes do not stop, the CLI run as `nobody` (runuser) in a tree `nobody` can read;
 * - a read-only mount, which stops root too: a read-only bind mount of the directory in a mount
 *   namespace of the CLI's own (unshare -m; a user maps itself to root with -r), gone with it,
 *   seen by no other process.
 * Each CLI is started with execFile and a timeout: no signal is sent to it and nothing waits on it
 * but its exit (a test that ran a CLI as nobody once waited for ever on a named pipe it never opened).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

const root = process.getuid?.() === 0;
const works = (argv: string[]): boolean => { try { execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 30_000 }); return true; } catch { return false; } };

/** Runs `argv` in `cwd` (bounded: killed after 5 minutes); its exit code and stderr. */
export function exitOf(argv: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd, timeout: 300_000, killSignal: 'SIGKILL' }, (e, _stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stderr });
    });
  });
}

export interface UnwritableWay {
  name: string;
  /** What the CLI's check says of it: `EACCES: permission denied`, `EROFS: a read-only file system`. */
  why: string;
  /** Why it cannot be had here, or false. */
  skip: string | false;
  /** Runs `argv` (node and its arguments) so that the directory is not writable to it. */
  run(argv: string[], cwd: string): Promise<{ code: number | null; stderr: string }>;
}

/**
 * The two ways for `dir` (`modeDirs`: the directories, `dir` and those in it, a user's chmod makes
 * read-only); `readable`: a file in `dir` the CLI must be able to read, and `cli` a script it
 * runs, both probed as nobody. The tree down to `dir` must be readable by all (mkdtemp makes 0700).
 */
export function unwritableWays(dir: string, modeDirs: string[], readable: string, cli: string): UnwritableWay[] {
  const nobody = ['runuser', '-u', 'nobody', '--'];
  const noNobody = root && !(works([...nobody, process.execPath, cli, '--version']) && works([...nobody, 'test', '-r', readable]))
    ? 'as root with no way to run the CLI as nobody (runuser -u nobody, reading this checkout and the run): no directory root may not write by its mode' : false;
  const readOnly = ['unshare', root ? '-m' : '-rm', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', dir];
  const noMount = works([...readOnly, 'true']) ? false
    : `no read-only bind mount in a mount namespace of its own here (${readOnly.slice(0, 2).join(' ')}; mount --bind; remount,ro): none to try`;
  return [
    { name: 'its mode denies this user (EACCES)', why: 'EACCES: permission denied', skip: noNobody, run: async (argv, cwd) => {
      if (root) return exitOf([...nobody, ...argv], cwd);
      for (const d of modeDirs) chmodSync(d, 0o555);
      try { return await exitOf(argv, cwd); } finally { for (const d of modeDirs) chmodSync(d, 0o755); }
    } },
    { name: 'on a read-only mount, which stops root too (EROFS)', why: 'EROFS: a read-only file system', skip: noMount, run: (argv, cwd) => exitOf([...readOnly, ...argv], cwd) },
  ];
}
