/**
 * @gluon/client: connect to a Gluon cluster (or start one with LocalCluster), submit tasks,
 * build graphs and gather results.
 */
export { Client, type ClientTableSizes, type Deferred, type DeferredArgs, type TreeReduceOptions } from './client.js';
export { type WaitOptions } from './future-waits.js';
export { type Gathered } from './gathered.js';
export { LocalCluster, LocalClusterStartError, type LocalClusterOptions } from './local-cluster.js';
export { allowModulePaths, type AllowModuleNames } from './local-cluster-values.js';
export { Future, type FutureStatus } from './future.js';
export { remote, remoteFrom, type RemoteFunction, type RemoteModule, type TaskOptions } from './remote.js';
export { delayed, Delayed } from './delayed.js';
export { TaskError, CancelledError, SerializationError, ClientClosedError, ResultTooLargeError, ReleasedFutureError } from './errors.js';
export { type ClusterWarning } from './warnings.js';
export { type ConnectOptions } from './connect-options.js';
export { taskContext, type TaskContext } from './context.js';
export { HandshakeError, CloseCode, TLS_CONFIG_NAMES, TOKEN_HELP_ENV, type ClientTlsOptions, type TlsNames } from '@gluon/protocol';
export { CONFIG_KEY_NAMES, SCHEDULER_TLS_CHECKS, SCHEDULER_TLS_DEFAULTS, SCHEDULER_TLS_FLAGS, schedulerTls, schedulerTlsConflict, type SchedulerTlsConfig, type SettingsAsGiven } from './scheduler-tls.js';
export { type PerformanceReportOptions } from './performance-report.js';
export { FeedRecorder, DEFAULT_REPORT_LIMITS, type ReportLimits } from './report-recorder.js';
export { reachableDashboardUrl } from './dashboard-url.js';
