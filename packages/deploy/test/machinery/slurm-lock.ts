import t from 'tap';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * scripts/setup-slurm.sh serialises its calls with a lock file; the daemons it starts must not
 * inherit the lock's descriptor. munged did, and held it for its whole life, so every later call
 * (`.ci/run`'s final `stop` included) waited the full 900 s for the lock. Checked on the running
 * Slurm that setup-slurm.sh started (as `.ci/run` does); skipped when there is none.
 */
const lock = process.env.GLUON_SLURM_STATE ? `${process.env.GLUON_SLURM_STATE}/lock` : '/run/gluon-slurm/lock';

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

t.test('no daemon started by setup-slurm.sh holds its lock open', async (t) => {
  const daemons = existsSync('/proc') ? readdirSync('/proc').filter((p) => /^\d+$/.test(p) && /^(munged|slurmctld|slurmd)\b/.test(cmdline(p).replace(/^\S*\//, ''))) : [];
  if (!existsSync(lock) || daemons.length === 0) {
    t.skip(`no Slurm started by scripts/setup-slurm.sh is running here (lock ${lock}, daemons ${daemons.length}): run it (as .ci/run does) to check`, () => {});
    return;
  }
  const holders: string[] = [];
  for (const pid of daemons) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited meanwhile
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === lock) holders.push(`${cmdline(pid)} (pid ${pid}, fd ${fd})`);
      } catch {
        // closed meanwhile
      }
    }
  }
  t.same(holders, [], `the daemons (${daemons.length}) keep no descriptor of ${lock}`);
});
