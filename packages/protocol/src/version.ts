import { readFileSync } from 'node:fs';

/**
 * The wire protocol's version. Bump it whenever a message changes shape; peers that disagree
 * refuse each other at the handshake instead of misreading each other later. 5: a compute-task's
 * `deps` is an array of `{key, holders, value?}`, no longer objects keyed by task key (`deps`,
 * `values`). 6: the scheduler may send a client `warning` (a cluster condition, such as every
 * worker paused for memory while tasks wait), which a client of protocol 5 would refuse. 7: the
 * scheduler tells clients the workers it has (the client welcome's `workers`, then
 * `worker-joined` / `worker-left`), and a reconnecting client's `update-graph` names them back
 * (`workers`), so a restarted scheduler waits for every worker the client knew of, not only those
 * it had seen results on; a protocol-6 peer would refuse the new op and fields. 8: a client's
 * welcome may carry `dashboardLink`, the dashboard's public URL behind a proxy
 * (`--dashboard-link`), which a protocol-7 client would refuse as an unknown field; and a retiring
 * worker asks for its results to be copied elsewhere before it leaves (`retire`), the scheduler
 * has other workers fetch them (`acquire`, answered with `acquired`) and then tells it to close,
 * ops a protocol-7 peer would refuse. 9: a client's welcome carries `schedulerId` (one per
 * scheduler process), so a reconnecting client tells a restarted scheduler from a lost link; a
 * protocol-8 client would refuse it as an unknown field. 10: a worker retiring at the end of its
 * lifetime says so (`retire`'s `lifetime`), and with no other worker to take its results the
 * scheduler holds it until one joins; a protocol-9 scheduler would refuse the field. 11: a worker
 * that refuses a task's module says so with `refused` (no longer a `task-erred` of kind
 * `not-allowed`, which failed the task although another worker would have run it), and `accepts`
 * when a module it refused passes its check later; a protocol-10 scheduler would refuse both ops.
 * 12: a reconnecting client's welcome says whether the scheduler still had its session
 * (`resumed`: its keys were kept while it was away, or released), so the client can say what the
 * drop cost it; a protocol-11 client would refuse the field. 13: a worker's hello carries a
 * `session` (random, one per worker process), and a hello giving the data address of a live
 * worker from another session is refused (4012) instead of replacing it; a protocol-12 scheduler
 * would refuse the field. 14: every frame of the graph a reconnecting client re-sends (and of the
 * graphs it had queued, built as they are sent) carries `resend` (`update-graph`), so a restarted
 * scheduler lets those frames, and only those, take the results its workers held from before; a
 * protocol-13 scheduler would refuse the field. 15: a leaving worker's `closing` says why (`reason`:
 * `SIGTERM`, its lifetime reached, the scheduler asked it, …), so the scheduler's line about it
 * leaving can say; a protocol-14 scheduler would refuse the field. 16: `closing` says whether the
 * worker leaves because its lifetime ended (`lifetime`), so the dashboard can tell a batch cluster
 * which closing workers retire (replace at once) and which were stopped (a SIGTERM from a rerun,
 * a job cancel or a walltime kill: wait for the batch system's listing); a protocol-15 scheduler
 * would refuse the field. 17: the scheduler tells every client holding an erred key that it runs
 * again (`task-retried`), whichever client's `retry` caused it, so their futures read pending and
 * a `result()` waits for the re-run; a protocol-16 client would refuse the op. 18: a worker's
 * heartbeat counts the cancelled tasks whose threads it terminated because they ran on
 * (`cancelledStopped`), for the scheduler's metrics; a protocol-17 scheduler would refuse the field.
 * 19: a task's error carries the thrown error's `code`, `errno`, `syscall` and `path` (a worker's
 * `task-erred`, the scheduler's to clients), so a client's TaskError can be branched on (`ENOENT`);
 * a protocol-18 peer would refuse the fields.
 * 20: a `data` reply's value may be an encoded value (msgpack extension 0x67 holding the value's
 * own msgpack encoding, `EncodedValue` in codec.ts): a worker serves a result its task thread
 * encoded without decoding it; a protocol-19 peer could not decode the extension.
 * 21: a client's keys are bounded by the frame alone (`update-graph`, `release-keys`, `received`,
 * `cancel`, `retry`, `who-has`): the scheduler fails a task whose key is over `MAX_KEY_LENGTH` alone
 * (and its dependents), telling the client with `task-erred` of that key as sent, and names an
 * over-long key of the other ops in a `warning` (`key-refused`), where a protocol-20 scheduler
 * closed the connection (4003) and lost the client's other work; a protocol-20 client would close
 * its own connection on such a `task-erred`. A worker answers a `get-data` naming one with an
 * `error` naming it, where a protocol-20 worker closed the asker's data link.
 * 22: every welcome says what the listener checked (`tokenRequired`, `clientCertRequired`), so a
 * client holding a token warns when a scheduler let it in without checking it, and a worker
 * refuses to serve such a scheduler (4013, `tokenUnchecked`); a protocol-21 peer would refuse the
 * fields.
 */
export const PROTOCOL_VERSION = 22;

/** This package's version, sent in every hello so that mismatched installs are named. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Two package versions can talk when their major and minor numbers agree: patch releases never
 * change behaviour that the other side relies on.
 */
export function versionsCompatible(a: string, b: string): boolean {
  const [am, an] = a.split('.');
  const [bm, bn] = b.split('.');
  return am === bm && an === bn;
}
