/** Why a scheduler on a loopback address cannot be reached by workers on other nodes: gluon-cluster's warning. */
import { isLoopbackHost } from '@gluon/protocol/tools';
import { hostAddress } from './worker-hosts.js';

/**
 * The warning for a scheduler whose address only this machine reaches while its workers may run
 * elsewhere, or undefined. Slurm, PBS: `--host` loopback (127.0.0.0/8, ::1, localhost), since any
 * job may land on another node (a one-node cluster still works: a warning, not a refusal). ssh:
 * the scheduler's host (the first of `hosts`) loopback while a worker host is not (a worker host
 * named by a loopback name is this machine, which can reach it). `gluon-cluster slurm --host
 * 127.0.0.1` started a scheduler at ws://127.0.0.1:PORT and said nothing, and every job on another
 * node then failed to connect.
 */
export function loopbackSchedulerWarning(kind: 'slurm' | 'pbs' | 'ssh', host: string, hosts: readonly string[] = []): string | undefined {
  if (kind === 'ssh') {
    const [first, ...workers] = hosts.map(hostAddress);
    if (first === undefined || !isLoopbackHost(first)) return undefined;
    const remote = workers.find((w) => !isLoopbackHost(w));
    return remote === undefined ? undefined
      : `--hosts: the scheduler's host ${first} is a loopback address: the worker on ${remote} would dial its own machine, not this one; `
        + 'give first the name or address of the scheduler\'s host that the worker hosts can reach';
  }
  if (!isLoopbackHost(host)) return undefined;
  return `--host ${host} is a loopback address: only jobs on this machine can reach the scheduler there, `
    + `and ${kind === 'slurm' ? 'Slurm' : 'PBS'} may run them on other nodes; give this host's name or an address the nodes can reach `
    + '(or leave --host out: 0.0.0.0, every interface, addressed by this host\'s name)';
}
