/**
 * --merge-only and --plots-only on a --run-dir this user cannot write: refused before any work,
 * naming the flag and the directory, exit 2, the directory unchanged. The merge failed with a raw
 * EACCES (or EROFS) naming its `.merging-*` staging directory, exit 1; the redraw with one naming
 * a plot.
 *
 * Two honest ways a directory is not writable, whoever runs the tests:
 * - its mode: as a user, the directory made read-only (chmod); as root, whom modes do not stop,
 *   the CLI run as `nobody` (runuser) in a directory `nobody` can read;
 * - a read-only mount, which stops root too: a read-only bind mount of the run directory in a
 *   mount namespace of the CLI's own (unshare -m), gone with it, seen by no other process.
 * Each CLI is started with execFile and a timeout: no signal is sent to it and nothing waits on
 * it but its exit. (An earlier attempt ran the merge-interrupt test's CLI as `nobody`; that test
 * then waited for ever to open its named pipe, which the refused CLI never opened: now bounded.)
 */
import t, { type Test } from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, mergedRun, snapshot } from './merged-run.js';

const root = process.getuid?.() === 0;
const works = (cmd: string, args: string[]): boolean => { try { execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }); return true; } catch { return false; } };

/** Runs `argv` (bounded: killed after 5 minutes); its exit code and stderr. */
function exitOf(argv: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd, timeout: 300_000, killSignal: 'SIGKILL' }, (e, _stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stderr });
    });
  });
}

t.test('a --run-dir that cannot be written is refused before any work', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-merge-unwritable-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  chmodSync(tmp, 0o755); // mkdtemp's 0700 would keep `nobody` out of the whole tree
  const runDir = await mergedRun(tmp);
  const before = snapshot(runDir);

  const what: Record<string, string> = { '--merge-only': 'writes the merged run into', '--plots-only': 'redraws the plots into' };
  /** Both modes run by `prefix`: refused (`why` the directory cannot be written), exit 2, the run directory as it was. */
  const refused = async (t: Test, prefix: string[], why: string) => {
    for (const mode of ['--merge-only', '--plots-only']) {
      const r = await exitOf([...prefix, process.execPath, CLI, mode, '--run-dir', runDir], tmp);
      // The merge writes into the run directory itself; the redraw into its plots/.
      const which = mode === '--merge-only' ? 'which' : 'and its plots/';
      t.equal(r.stderr, `gluon-finalstates: ${mode} ${what[mode]} --run-dir ${runDir}, ${which} is not writable (${why}); nothing was changed\n`, `${mode}: said before any work`);
      t.equal(r.code, 2, `${mode}: exit 2, a usage error`);
      t.same(snapshot(runDir), before, `${mode}: every file as it was`);
      t.notOk(readdirSync(runDir).some((n) => n.startsWith('.merging-')), `${mode}: no staging directory`);
    }
  };

  // As root: `nobody` may read the run (root's, mode 755) but write none of it.
  const nobody = ['runuser', '-u', 'nobody', '--'];
  const noNobody = root && !(works(nobody[0]!, [...nobody.slice(1), process.execPath, CLI, '--version']) && works(nobody[0]!, [...nobody.slice(1), 'test', '-r', path.join(runDir, 'run.json')]))
    ? 'as root with no way to run the CLI as nobody (runuser -u nobody, reading this checkout and the run): no directory root may not write by its mode' : false;
  t.test('its mode denies this user (EACCES)', { skip: noNobody }, async (t) => {
    if (root) return refused(t, nobody, 'EACCES: permission denied');
    chmodSync(runDir, 0o555);
    chmodSync(path.join(runDir, 'plots'), 0o555);
    t.teardown(() => { chmodSync(path.join(runDir, 'plots'), 0o755); chmodSync(runDir, 0o755); });
    await refused(t, [], 'EACCES: permission denied');
  });

  // A user maps itself to root in a user namespace of its own (-r) to mount there.
  const readOnly = ['unshare', root ? '-m' : '-rm', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', runDir];
  const noMount = works(readOnly[0]!, [...readOnly.slice(1), 'true']) ? false
    : `no read-only bind mount in a mount namespace of its own here (${readOnly.slice(0, 2).join(' ')}; mount --bind; remount,ro): none to try`;
  t.test('on a read-only mount, which stops root too (EROFS)', { skip: noMount }, (t) => refused(t, readOnly, 'EROFS: a read-only file system'));
});
