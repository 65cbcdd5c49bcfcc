/**
 * @gluon/deploy: Gluon workers on batch systems, shaped like dask-jobqueue. One small class per
 * batch system over a shared core (JobQueueCluster): jobScript(), scale(n), adapt(), close().
 */
export { JobQueueCluster, type JobClusterOptions, type JobInfo } from './job-cluster.js';
export { SlurmCluster, parseSqueue } from './slurm.js';
export { deathTimeoutArgs, defaultLifetime, DEFAULT_DEATH_TIMEOUT, lifetimeArgs, walltimeMs } from './lifetime.js';
export { bySubmittedIds, PBSCluster, parseQstat, parseQstatFull, type PBSClusterOptions } from './pbs.js';
export { SSHCluster, type SSHClusterOptions } from './ssh.js';
export { explainReason, pendingNotice, DEFAULT_PENDING_NOTICE_MS, type ListedJob, type PendingEpisode, type SlotWaits } from './pending-jobs.js';
export { adaptTarget, type AdaptOptions, type SchedulerLoad } from './adapt.js';
export { BatchCommandError } from './commands.js';
export { BATCH_RUN_CHECKS, BATCH_RUN_DASH_VALUES, BATCH_RUN_DEFAULTS, BATCH_RUN_FLAGS, batchFlagValue, batchKeyFromConfig, batchFlagsUnused, batchJobScript, batchKeyProblem, batchRunConflict, batchRunProblem, printJobScriptProblem, startBatchRun, type BatchJobScript, type BatchKind, type BatchRun, type BatchRunConfig, type BatchRunFlag, type RunKind } from './batch-run.js';
export { noWorkerCanCome, noWorkerMessage, NoWorkerCanComeError, type ClusterOutlook, type FailedStart, type FixWords, type NoWorkerVerdict } from './no-worker-coming.js';
export { SSH_RUN_KEYS, sshHostsOf, withSshJobs, type SshRunValues } from './ssh-run.js';
export { JOB_KEY_NAMES, JOB_KEYS, isJobKey, jobKeyFromConfig, jobKeyProblem, runFlagOf, type JobKey, type JobKeyName, type JobKeyValues, type Launcher } from './job-keys.js';
export { CLUSTER_FLAGS, CLUSTER_OWN_FLAGS } from './cluster-flags.js';
export { runMeant } from './batch-spellings.js';
