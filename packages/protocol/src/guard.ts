/**
 * What a side holding a token makes of a scheduler that let it in without checking it. A token
 * is only checked by the listener: before protocol 22 a worker or client started with one joined
 * a scheduler that had none without a word, and its user believed the cluster protected while
 * anyone who reached the port could submit work (tasks are code run on the workers).
 */

/**
 * Whether this side gave a token that nothing checked, from a welcome's `tokenRequired` and
 * `clientCertRequired` (protocol 22): the listener requires no token, and no
 * client certificate either (a `--require-client-cert` scheduler is guarded by its certificates,
 * so a token it does not ask for leaves nothing open).
 */
export function tokenUnchecked(heldToken: boolean, welcome: { readonly [field: string]: unknown }): boolean {
  return heldToken && welcome.tokenRequired !== true && welcome.clientCertRequired !== true;
}

/** How a scheduler is given a token, for the texts below. */
const SCHEDULER_TOKEN = 'start the scheduler with the same token (--token-file PATH or GLUON_TOKEN)';

/**
 * The client's warning: it carries on (its user is at hand to read stderr, and its own work is
 * what is exposed). `help` says how this client's caller gives a token.
 */
export function clientTokenUncheckedText(scheduler: string, help: string): string {
  return `the scheduler at ${scheduler} requires no token: the token this client gave (${help}) was not checked, `
    + 'and anyone who can reach the scheduler can submit work to this cluster (tasks are code run on the workers) and read its results; '
    + `${SCHEDULER_TOKEN} to require it, or connect without a token if an open scheduler is meant`;
}

/**
 * The worker's refusal: a worker given a token means to join a cluster that only holders of the
 * token can use, and it runs whatever tasks the scheduler sends it; serving an open scheduler
 * would let anyone who reaches its port run code on this host, with nobody reading the worker's
 * log (often a batch job's file) to notice a warning.
 */
export function workerTokenUncheckedText(scheduler: string, help: string): string {
  return `refusing the scheduler at ${scheduler}: it requires no token, so the token this worker was given (${help}) was not checked, `
    + 'and anyone who can reach the scheduler could run tasks (code) on this worker; '
    + `${SCHEDULER_TOKEN}, or start the worker without a token if an open scheduler is meant`;
}
