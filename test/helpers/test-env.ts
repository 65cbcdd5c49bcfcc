/**
 * The machine's test environment (scripts/setup-test-env.sh's Debian tools, scripts/setup-slurm.sh's
 * Slurm) may still be being set up when a test starts: `.ci/run` runs that setup beside `npm ci` and
 * on into the tests rather than before them, since on a fresh machine it takes over a minute
 * (chromium's unpacking most of it) that the build, the type check and most test files need not wait
 * for. While it runs, `.ci/run` holds an exclusive flock(2) on the file GLUON_TEST_ENV_LOCK names.
 *
 * The checks that decide whether a test can use one of those tools (chromiumSkip, nginxSkip,
 * sshHostsUnavailable, slurmMissing, netnsUnavailable) call this first, so that a test file started
 * early waits for the setup instead of skipping, or failing on a half-installed package.
 */
import { spawnSync } from 'node:child_process';

/** Bounded: setup-slurm.sh alone may take 900 s (.ci/run's timeout), the apt installs before it less. */
const WAIT_S = 1_500;

let done = !process.env.GLUON_TEST_ENV_LOCK;

/**
 * Returns once the test environment's setup has ended (at once without GLUON_TEST_ENV_LOCK: a
 * developer's `npm test` or `npx tap FILE`, on a machine set up before). Synchronous, so that the
 * checks stay usable as tap's `skip` option at a module's top; it blocks this process's event loop
 * only until the lock is released, by a shared flock that waits on the lock itself.
 */
export function awaitTestEnvSetup(): void {
  if (done) return;
  done = true;
  const lock = process.env.GLUON_TEST_ENV_LOCK!;
  const t0 = Date.now();
  const r = spawnSync('flock', ['--shared', '--wait', String(WAIT_S), lock, 'true'], { stdio: 'ignore' });
  // No flock(1) (not util-linux), or the bound ran out: the check that called goes on and says
  // what it finds missing, as it would have without the wait.
  if (r.error || r.status !== 0) {
    process.stderr.write(`# test environment setup: not waited for (${r.error?.message ?? `flock exited ${r.status ?? r.signal} after ${Math.round((Date.now() - t0) / 1000)} s`})\n`);
  }
}
