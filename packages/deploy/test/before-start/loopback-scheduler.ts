import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from '../helpers.js';
import { loopbackSchedulerWarning } from '../../src/loopback-scheduler.js';

/** gluon-cluster with a loopback --host: started silently at ws://127.0.0.1:PORT, which jobs on other nodes cannot reach. */
const bin = join(repo, 'packages/deploy/bin/gluon-cluster.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 600_000 });

t.test('slurm and pbs with a loopback --host: one warning on stderr naming the address, why, and what to give; not a refusal', async (t) => {
  for (const [kind, host] of [['slurm', '127.0.0.1'], ['pbs', 'localhost'], ['slurm', '::1'], ['pbs', '127.0.0.2']] as const) {
    const r = run([kind, '--host', host, '--print-job-script']);
    t.equal(r.status, 0, `${kind} --host ${host}: a warning, not a refusal: ${r.stderr}`);
    t.match(r.stdout, /^#!\/usr\/bin\/env bash$/m, 'the script is still printed');
    const lines = r.stderr.split('\n').filter((l) => /loopback/.test(l));
    t.same(lines, [`gluon-cluster: warning: --host ${host} is a loopback address: only jobs on this machine can reach the scheduler there, and ${kind === 'slurm' ? 'Slurm' : 'PBS'} may run them on other nodes; give this host's name or an address the nodes can reach (or leave --host out: 0.0.0.0, every interface, addressed by this host's name)`], `${kind} --host ${host}`);
  }
  for (const host of ['0.0.0.0', 'node07', '10.0.0.9']) {
    const r = run(['slurm', '--host', host, '--print-job-script']);
    t.notMatch(r.stderr, /loopback/, `--host ${host}: nothing said`);
  }
  t.notMatch(run(['pbs', '--print-job-script']).stderr, /loopback/, 'the default --host: nothing said');
});

t.test('ssh: warned when the scheduler\'s host is loopback and a worker host is not this machine', async (t) => {
  t.match(loopbackSchedulerWarning('ssh', '0.0.0.0', ['localhost', 'me@lab2']), /^--hosts: the scheduler's host localhost is a loopback address: the worker on lab2 would dial its own machine, not this one; give first the name or address of the scheduler's host that the worker hosts can reach$/);
  t.equal(loopbackSchedulerWarning('ssh', '0.0.0.0', ['localhost', '127.0.0.1']), undefined, 'every host this machine: it works');
  t.equal(loopbackSchedulerWarning('ssh', '127.0.0.1', ['lab1', 'lab2']), undefined, 'the scheduler on lab1: --host is not ssh\'s');
  t.equal(loopbackSchedulerWarning('slurm', '0.0.0.0'), undefined);
});
