/**
 * gluon-cluster's flags: the job keys (job-keys.ts, which the analysis CLIs take too, as
 * --job-* flags and job_* config keys) and the few that are gluon-cluster's own.
 */
import { flag, type Flag } from '@gluon/protocol/tools';
import { JOB_KEY_NAMES, JOB_KEYS, jobKeyFromText, type JobKeyName, type JobKeyValues } from './job-keys.js';

/** A job key as a gluon-cluster flag: its text checked by the key's own check, named as typed. */
function jobKeyFlag(k: JobKeyName): Flag<unknown> {
  const e = JOB_KEYS[k];
  const help = e.clusterHelp ?? e.help;
  if (e.type === 'off') return flag.switch(help);
  const parse = (t: string, f: string): unknown => jobKeyFromText(k, t, f);
  return {
    help, ...(e.arg ? { arg: e.arg } : {}), ...(e.default !== undefined ? { default: e.default } : {}),
    ...(e.type === 'list' ? { multiple: true, dashValue: true } : {}), parse,
  };
}

const JOB_KEY_FLAGS: Record<string, Flag<unknown>> = Object.fromEntries(JOB_KEY_NAMES.map((k) => [JOB_KEYS[k].flag, jobKeyFlag(k)]));

/**
 * gluon-cluster's own flags, which no analysis takes: how many jobs over time (`--adapt`: an
 * analysis submits its --jobs for the run), the modules its workers may import (an analysis's
 * workers import its own), the scheduler it starts (an analysis starts its own, on this host's
 * addresses), what it prints, and the ssh launcher's (the analyses take those five as theirs too:
 * ssh-run.ts).
 */
export const CLUSTER_OWN_FLAGS = {
  adapt: flag.string('instead of --jobs: follow the load between MIN and MAX jobs', { arg: 'MIN:MAX', check: (t, f) => { if (!/^\d+:\d+$/.test(t)) throw new RangeError(`${f} must look like MIN:MAX (e.g. 0:20), got "${t}"`); const [min, max] = t.split(':').map(Number) as [number, number]; if (min > max) throw new RangeError(`${f} must have MIN ≤ MAX, got "${t}"`); } }),
  'allow-module': flag.list('task module the workers may import (gluon-worker --allow-module): a package name, or a file or directory (a relative one is taken from here and passed on absolute)', 'SPEC'),
  host: flag.string('slurm and pbs: address the scheduler listens on (ssh: the first of --hosts)', { arg: 'HOST', default: '0.0.0.0' }),
  'dashboard-link': flag.string('the dashboard\'s public URL behind a proxy, printed and given to clients (gluon-scheduler --dashboard-link)', { arg: 'TEMPLATE', env: 'GLUON_DASHBOARD_LINK' }),
  'print-job-script': flag.switch('print the job script that --jobs N submits (Slurm, N > 1: the array job) and exit without submitting'),
  hosts: flag.list('ssh only: the scheduler\'s host, then the worker hosts (or several, comma-separated)', 'HOST'),
  'ssh-option': flag.list('ssh only: one more ssh argument, e.g. -F FILE as --ssh-option -F --ssh-option FILE', 'ARG', { dashValue: true }),
  'scheduler-port': flag.port('ssh only: the scheduler\'s port on its host (0: any free one)', '8786'),
  'dashboard-port': flag.port('ssh only: the dashboard\'s port on the scheduler\'s host (0: any free one)', '8787'),
  'no-tls': flag.switch('ssh only: plain ws:// between the hosts: the token and all data cross the network unencrypted\n(default: TLS, with a CA made for this cluster and removed when it stops)'),
};

/** Every flag of gluon-cluster: the job keys, then its own. */
export const CLUSTER_FLAGS = { ...JOB_KEY_FLAGS, ...CLUSTER_OWN_FLAGS };

/** The job keys' values from gluon-cluster's parsed flags (a switch that turns a key off: false when given). */
export function jobKeysFromFlags(v: Record<string, unknown>): JobKeyValues {
  return Object.fromEntries(JOB_KEY_NAMES.map((k) => {
    const e = JOB_KEYS[k], x = v[e.flag];
    return [k, e.type === 'off' ? !x : x === undefined ? (e.clusterDefault ?? null) : x];
  })) as unknown as JobKeyValues;
}
