/**
 * Which option a batch system's refusal of a submission is about. sbatch and qsub say what they
 * refused in their own terms (`sbatch: error: invalid partition specified: nosuch`), naming
 * neither the option nor the flag that set it: `gluon-cluster slurm --queue nosuch` ended on
 * `sbatch --parsable failed (exit 1): sbatch: error: invalid partition specified: nosuch …`, and
 * an analysis's `--job-queue nosuch` the same, with nothing pointing at the flag. Such a value
 * cannot be checked before submitting (only the batch system knows its partitions, accounts and
 * limits), so the refusal is read afterwards. Pure: job-cluster.ts puts the words before the
 * command's own.
 */
import type { JobClusterOptions, OptionName } from './job-cluster.js';

/** How each batch system lists what a refused value could have been. */
const LISTS = {
  queue: { slurm: 'Slurm has no such partition (sinfo lists them)', pbs: 'PBS has no such queue (qstat -Q lists them)' },
  account: { slurm: 'Slurm refused the account, or the account with this partition (sacctmgr show associations user=$USER lists yours)', pbs: 'PBS refused the account' },
  walltime: { slurm: 'above the partition\'s time limit (sinfo -o "%P %l" lists them)', pbs: 'above the queue\'s walltime limit (qstat -Qf lists them)' },
  size: { slurm: 'no node of the partition has that many CPUs or that much memory (sinfo -o "%P %c %m" lists them)', pbs: 'no node has that many CPUs or that much memory' },
} as const;

/** A refusal's words, and what it is about: an option, or the `jobExtra` directive of one of `directives`. */
const RULES: readonly { said: RegExp; about: keyof typeof LISTS | { directives: RegExp; what: string } }[] = [
  // Slurm: ESLURM_INVALID_PARTITION_NAME, and sbatch's own check; PBS Pro, Torque.
  { said: /invalid partition (name )?specified|Unknown queue|requested queue not found/i, about: 'queue' },
  { said: /Invalid account/i, about: 'account' },
  { said: /time limit is invalid/i, about: 'walltime' },
  { said: /Requested node configuration is not available|Memory specification can not be satisfied/i, about: 'size' },
  { said: /Invalid qos/i, about: { directives: /^--qos\b/, what: 'no such QOS, or not one this account may use (sacctmgr show qos lists them)' } },
  { said: /Invalid generic resource/i, about: { directives: /^--(gres|gpus)/, what: 'no node has such a generic resource (sinfo -o "%P %G" lists them)' } },
  { said: /Invalid feature specification/i, about: { directives: /^(--constraint|-C)\b/, what: 'no node has such a feature (sinfo -o "%P %f" lists them)' } },
];

/**
 * The words naming the option (as `name` says, with its value) that the batch system's refusal
 * `output` is about, and why, to put before the command's own message; undefined when the output
 * says nothing known, or names a value the options did not set (a default partition that is gone,
 * a site's `SBATCH_PARTITION`): then the command's words are all there is to say.
 */
export function submitRefusal(kind: 'slurm' | 'pbs', output: string, o: JobClusterOptions, name: OptionName): string | undefined {
  const rule = RULES.find((r) => r.said.test(output));
  if (!rule) return undefined;
  const about = rule.about;
  if (typeof about !== 'string') {
    const i = (o.jobExtra ?? []).findIndex((d) => about.directives.test(d.trim()));
    return i < 0 ? undefined : `${name('jobExtra')} ${JSON.stringify(o.jobExtra![i])}: ${about.what}`;
  }
  if (about === 'size') {
    const given = [o.cores !== undefined ? `${name('cores')} ${o.cores}` : '', o.memory !== undefined ? `${name('memory')} ${o.memory}` : ''].filter(Boolean);
    return given.length ? `${given.join(', ')}: ${LISTS.size[kind]}` : undefined;
  }
  const value = o[about];
  return value === undefined ? undefined : `${name(about)} ${value}: ${LISTS[about][kind]}`;
}
