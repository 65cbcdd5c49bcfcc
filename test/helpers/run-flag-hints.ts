/**
 * What `gluon-h4l run` and `gluon-finalstates` answer to other tools' batch flags (sbatch's,
 * dask-jobqueue's, gluon-cluster's): the same hints from @gluon/deploy's batch-spellings.ts, so
 * both analyses' tests hold one table. Each entry: the arguments, and the message before the
 * CLI's own "(… --help lists the options)".
 */
export const RUN_FLAG_HINTS: readonly (readonly [string[], string])[] = [
  [['--qos', 'high'], "Unknown option '--qos' (did you mean --job-extra \"--qos=high\"? sbatch's options without a flag here go into the job script as directive lines, one --job-extra each (PBS's as --job-extra \"-l …\"))"],
  [['--partition', 'short'], "Unknown option '--partition' (did you mean --job-queue? Slurm's --partition is --job-queue here)"],
  [['--job-cpu', '2'], "Unknown option '--job-cpu' (did you mean --job-cores? dask-jobqueue's job_cpu is --job-cores here)"],
  [['--queue', 'short'], "Unknown option '--queue' (did you mean --job-queue? gluon-cluster's --queue is --job-queue here (config key job_queue))"],
  // Workers on this machine unless --cluster: the nearest spelling, as before.
  [['--workers', '4'], "Unknown option '--workers' (did you mean --n-workers?)"],
];
