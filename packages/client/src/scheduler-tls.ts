/**
 * TLS for a CLI that connects to a scheduler given by address (`gluon-h4l run --scheduler`,
 * `gluon-finalstates --scheduler`): three config keys and their flags, shared by every analysis
 * CLI so they take the same names as `gluon-worker` (`--tls-ca`, `--tls-cert`, `--tls-key`).
 * Without them a `wss://` scheduler with a private CA (docs/across-hosts.md) could not be used
 * from the analysis CLIs at all: the connection failed with `unknown CA … give the cluster's CA
 * (--tls-ca …)`, a flag they did not have.
 */
import { loadTlsFiles, type ClientTlsOptions } from '@gluon/protocol/tools';

/** The keys (config.yaml) of a scheduler connection's TLS files; null: not given. */
export interface SchedulerTlsConfig {
  /** The cluster's CA (PEM file) that signed the scheduler's and the workers' certificates. */
  tls_ca: string | null;
  /** This client's certificate (PEM file), for a cluster that requires client certificates. */
  tls_cert: string | null;
  /** The private key of tls_cert (PEM file). */
  tls_key: string | null;
}

export const SCHEDULER_TLS_DEFAULTS: SchedulerTlsConfig = { tls_ca: null, tls_cert: null, tls_key: null };

type Check = (v: unknown) => string | undefined;
const fileOrNull: Check = (v) => (v === null || (typeof v === 'string' && v !== '') ? undefined : 'must be a file path (or null)');

/** Per-key value checks: a message without the key (the caller names it), or undefined. */
export const SCHEDULER_TLS_CHECKS: Record<keyof SchedulerTlsConfig, Check> = { tls_ca: fileOrNull, tls_cert: fileOrNull, tls_key: fileOrNull };

/** Flags → keys, with their --help text. */
export const SCHEDULER_TLS_FLAGS: Record<string, { key: keyof SchedulerTlsConfig; arg: string; help: string }> = {
  'tls-ca': { key: 'tls_ca', arg: 'PEM', help: 'with a wss:// --scheduler: the cluster\'s CA (default: the system\'s CAs)' },
  'tls-cert': { key: 'tls_cert', arg: 'PEM', help: 'with a wss:// --scheduler: this client\'s certificate, when the cluster requires one (--require-client-cert)' },
  'tls-key': { key: 'tls_key', arg: 'PEM', help: 'with a wss:// --scheduler: the private key of --tls-cert' },
};

/**
 * How a CLI's message names a setting of its configuration: as its user gave it (`--cluster
 * slurm`, `cluster: slurm in /x/config.yaml`), and how to give one that is not set
 * (`--scheduler (or scheduler in the config file)`). Messages that named the config key alone
 * (`cluster (slurm) … cannot be combined with scheduler …`) sent a user who typed flags looking
 * for keys they never wrote.
 */
export interface SettingsAsGiven {
  /** The setting `key`, holding `value`, as it was given. */
  given(key: string, value: unknown): string;
  /** How to give `key`, which is not set. */
  toGive(key: string): string;
  /**
   * The setting's name alone, as given (`--job-lifetime`, `/x/config.yaml: job_lifetime`), for a
   * message that shows values itself; absent: the caller's own name for it.
   */
  named?(key: string): string;
}

/** The config keys alone (`cluster slurm`), for callers without flags. */
export const CONFIG_KEY_NAMES: SettingsAsGiven = {
  given: (key, value) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  toGive: (key) => key,
};

const given = (c: SchedulerTlsConfig): (keyof SchedulerTlsConfig)[] =>
  (Object.keys(SCHEDULER_TLS_DEFAULTS) as (keyof SchedulerTlsConfig)[]).filter((k) => c[k] !== null);

/**
 * Why the TLS keys cannot be used with the rest of the configuration, or undefined: they are for
 * a `wss://` scheduler given by address (a LocalCluster or batch cluster sets up its own
 * connections, and a `ws://` one speaks no TLS), and tls_cert and tls_key go together. Each
 * setting is named as `names` says (the flag typed, or the config file and key).
 */
export function schedulerTlsConflict(c: SchedulerTlsConfig & { scheduler: string | null }, names: SettingsAsGiven = CONFIG_KEY_NAMES): string | undefined {
  const keys = given(c);
  if (keys.length === 0) return undefined;
  const these = keys.map((k) => names.given(k, c[k])).join(', ');
  const are = keys.length > 1 ? 'are' : 'is';
  if (c.scheduler === null) return `${these} ${are} for connecting to a wss:// scheduler given by address, with ${names.toGive('scheduler')}; without one there is nothing to connect to`;
  if (!c.scheduler.startsWith('wss://')) return `${these} given, but ${names.given('scheduler', c.scheduler)} is plain ws://, which speaks no TLS: give its wss:// address`;
  if ((c.tls_cert === null) !== (c.tls_key === null)) {
    const [has, lacks] = c.tls_cert !== null ? ['tls_cert', 'tls_key'] as const : ['tls_key', 'tls_cert'] as const;
    return `${names.given(has, c[has])} needs ${names.toGive(lacks)} too: the certificate and its private key go together`;
  }
  return undefined;
}

/**
 * Reads and checks the files (the key matches the certificate, which is valid now; the CA file
 * holds certificates), naming the flag and file of a bad one; undefined when none is given.
 */
export function schedulerTls(c: SchedulerTlsConfig): ClientTlsOptions | undefined {
  return loadTlsFiles({ ...(c.tls_ca ? { ca: c.tls_ca } : {}), ...(c.tls_cert ? { cert: c.tls_cert } : {}), ...(c.tls_key ? { key: c.tls_key } : {}) });
}
