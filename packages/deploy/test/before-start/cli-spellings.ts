import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from '../helpers.js';

/**
 * gluon-cluster given sbatch's or dask-jobqueue's flags, as a batch user types them: each is
 * answered with the flag that stands for it here (batch-spellings.ts). Left to the nearest
 * spelling, `--qos high` was "did you mean --jobs?", `--gres gpu:1` and `--workers 4` "did you
 * mean --cores?", and `--partition`, `--time`, `--mem`, `--cpus-per-task` had no hint at all.
 */
const bin = join(repo, 'packages/deploy/bin/gluon-cluster.js');
/** Only a bound on a gluon-cluster that hangs (a loaded 2-core machine at nice 19), never a budget. */
const HANG_BOUND_MS = 600_000;

t.test('another tool\'s flag is answered with gluon-cluster\'s, exit 2, before anything starts', async (t) => {
  const cases: [string[], string][] = [
    [['--partition', 'short'], "Unknown option '--partition' (did you mean --queue? Slurm's --partition is --queue here)"],
    [['--time', '01:00:00'], "Unknown option '--time' (did you mean --walltime? sbatch's --time is --walltime here (HH:MM:SS or D-HH:MM:SS))"],
    [['--mem', '8G'], "Unknown option '--mem' (did you mean --memory? sbatch's --mem is --memory here (a size: 8GiB))"],
    [['--cpus-per-task', '4'], "Unknown option '--cpus-per-task' (did you mean --cores? sbatch's --cpus-per-task is --cores here (the worker's threads))"],
    [['--workers', '4'], "Unknown option '--workers' (did you mean --jobs? each job runs one worker, so the workers are --jobs N here)"],
    [['--qos', 'high'], "Unknown option '--qos' (did you mean --job-extra \"--qos=high\"? sbatch's options without a flag here go into the job script as directive lines, one --job-extra each (PBS's as --job-extra \"-l …\"))"],
    [['--gres=gpu:1'], "Unknown option '--gres' (did you mean --job-extra \"--gres=gpu:1\"? sbatch's options without a flag here go into the job script as directive lines, one --job-extra each (PBS's as --job-extra \"-l …\"))"],
    [['--exclusive', '--jobs', '2'], "Unknown option '--exclusive' (did you mean --job-extra \"--exclusive\"? sbatch's options without a flag here go into the job script as directive lines, one --job-extra each (PBS's as --job-extra \"-l …\"))"],
    [['--job-script-prologue', 'module load nodejs'], "Unknown option '--job-script-prologue' (did you mean --prologue? dask-jobqueue's job_script_prologue is --prologue here, one shell line each)"],
    // Not another tool's: the nearest spelling, as before.
    [['--job', '2'], "Unknown option '--job' (did you mean --jobs?)"],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [bin, 'slurm', ...args, '--print-job-script'], { encoding: 'utf8', timeout: HANG_BOUND_MS });
    t.equal(r.status, 2, args.join(' '));
    t.equal(r.stdout, '', 'no script printed');
    t.equal(r.stderr, `gluon-cluster: ${message}\n(gluon-cluster --help lists the options)\n`, args.join(' '));
  }
});

t.test('what each hint names is accepted as the hint writes it', async (t) => {
  const r = spawnSync(process.execPath, [bin, 'slurm', '--queue', 'short', '--walltime', '01:00:00', '--memory', '8GiB', '--cores', '4', '--jobs', '4', '--job-extra', '--qos=high', '--job-extra', '--gres=gpu:1', '--print-job-script'], { encoding: 'utf8', timeout: HANG_BOUND_MS });
  t.equal(r.status, 0, r.stderr);
  for (const l of ['#SBATCH --partition=short', '#SBATCH --time=01:00:00', '#SBATCH --mem=8192M', '#SBATCH --cpus-per-task=4', '#SBATCH --array=0-3', '#SBATCH --qos=high', '#SBATCH --gres=gpu:1']) t.ok(r.stdout.split('\n').includes(l), l);
});
