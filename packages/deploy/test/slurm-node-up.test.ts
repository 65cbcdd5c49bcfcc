import t from 'tap';
import { execFileSync } from 'node:child_process';
import { holdSlurm, slurmMissing, until } from './helpers.js';

/**
 * Each Slurm test file that runs jobs first asks slurmMissing(true) whether the node is up, and
 * skips, saying why, when it is not. A node on which a job is ending is up: sinfo says
 * `completing` while Slurm waits for the job's processes to go. Before, that was taken for a node
 * not up: slurm-suspend.test, started while another file's job was ending, skipped ('the Slurm
 * node is "completing", not idle') and its checks never ran. Here a job of this file's that
 * ignores SIGTERM is cancelled, so Slurm lists it completing until its SIGKILL (KillWait, 5 s on
 * the test Slurm of scripts/setup-slurm.sh; skipped, saying why, where there is none).
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`the Slurm node completing a job is up: ${why}`, () => {});
} else {
  await holdSlurm();
  t.test('while a job is completing on the node, the node is up for the Slurm tests', async (t) => {
    const name = `gsup-${process.pid}`;
    t.teardown(() => {
      try { execFileSync('scancel', ['--signal=KILL', '--full', '-n', name]); } catch { /* none left */ }
    });
    const id = execFileSync('sbatch', ['--parsable', '-J', name, '-o', '/dev/null', '--wrap', "trap '' TERM; while :; do sleep 1; done"], { encoding: 'utf8' }).trim();
    const listed = () => execFileSync('squeue', ['-h', '-j', id, '-o', '%t'], { encoding: 'utf8' }).trim();
    await until(`job ${id} running`, () => listed() === 'R', () => `squeue lists it "${listed()}"`);
    execFileSync('scancel', [id]);
    const node = () => execFileSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' }).trim().split('\n')[0];
    // Whatever else runs on the node, it shows completing while this job is (allocated+ if full).
    let seen = '';
    await until(`the node completing job ${id}`, () => listed() === 'CG' && /^(completing|allocated\+)/.test((seen = node() ?? '')), () => `squeue lists it "${listed()}", sinfo says "${node()}"`);
    t.equal(slurmMissing(true), undefined, `the node is up while sinfo says "${seen}"`);
  });
}
