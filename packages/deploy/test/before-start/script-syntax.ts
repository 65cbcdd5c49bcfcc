import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PBSCluster, SlurmCluster } from '@gluon/deploy';
import { repo } from '../helpers.js';

/**
 * A job script bash cannot parse is refused when the cluster starts, naming the option its bad
 * text came from, with bash's own message: an unbalanced quote in a prologue line made every job
 * fail as it started, one after another until max_failed_jobs.
 */
const attach = { scheduler: 'ws://sched.example:8786', cwd: '/data/run', node: '/opt/node/bin/node' };
const bin = join(repo, 'packages/deploy/bin/gluon-cluster.js');
const noBash = spawnSync('bash', ['-c', 'true']).error ? 'no bash on PATH here' : false;
const unbalanced = /unexpected EOF while looking for matching `"'/;

t.test('SlurmCluster.start and PBSCluster.start refuse a prologue bash cannot parse, naming it', { skip: noBash }, async (t) => {
  for (const start of [SlurmCluster.start, PBSCluster.start]) {
    const err = await start({ ...attach, prologue: ['module load nodejs', 'echo "hi'] }).then(() => undefined, (e: Error) => e);
    t.type(err, RangeError, 'a bad option');
    t.match(err?.message, /^prologue is not valid shell \(the job script would fail as it starts; nothing was submitted\): bash -n says: bash: line 2: /);
    t.match(err?.message, unbalanced, 'bash\'s own message');
  }
  const ok = await SlurmCluster.start({ ...attach, prologue: ['module load nodejs', 'echo "hi"'], jobExtra: ['--comment="x'] });
  t.match(ok.jobScript(), /^echo "hi"$/m, 'a balanced prologue, and a quote in a directive (a comment to bash), start as before');
  await ok.close();
});

t.test('gluon-cluster --print-job-script prints no script bash cannot parse: it names --prologue', { skip: noBash }, async (t) => {
  const r = spawnSync(process.execPath, [bin, 'slurm', '--prologue', 'echo "hi', '--print-job-script'], { encoding: 'utf8', timeout: 600_000 });
  t.equal(r.status, 2, 'a usage error');
  t.equal(r.stdout, '', 'no script printed');
  t.match(r.stderr, /--prologue is not valid shell \(the job script would fail as it starts; nothing was submitted\): bash -n says: bash: line 1: /);
  t.match(r.stderr, unbalanced);
});
