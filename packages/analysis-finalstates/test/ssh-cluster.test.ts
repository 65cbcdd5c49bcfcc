/**
 * `gluon-finalstates --cluster ssh` against real sshd (deploy's ssh-hosts.ts; gluon-h4l's
 * ssh-cluster.test.ts tests the shared start, give-up and stop): started on a "login" host, the
 * scheduler on the first of --hosts and a worker on each other, its histograms those of an
 * in-process run; over TLS (wss://, the CA made for the run) unless --no-tls, which says its
 * risk. Skips, saying why, where namespaces or sshd are not available.
 */
import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { CLI } from './merged-run.js';
import { sshHostsUnavailable, startSshHosts } from '../../deploy/test/ssh-hosts.js';

const why = sshHostsUnavailable();
if (why) {
  t.skip(`gluon-finalstates --cluster ssh against real sshd: ${why}`, () => {});
} else {
  const hosts = { login: '10.201.0.2', sched: '10.201.0.1', w1: '10.201.0.11', w2: '10.201.0.12' };
  /** An address of the lab's network that no host has: ssh's connect fails (No route to host). */
  const nowhere = '10.201.0.99';
  const ssh = await startSshHosts(hosts, { unreachable: [nowhere] });
  t.teardown(() => ssh.stop());
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-ssh-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  const home = path.join(tmp, 'home');
  mkdirSync(home);
  // The token the run keeps (~/.gluon/cluster-token) goes to this home, not the user's.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SOURCE_DATE_EPOCH: '1700000000' };
  delete env.GLUON_TOKEN;

  const local = path.join(tmp, 'local');
  t.before(async () => {
    await generateDataset({ outDir: data, scale: 0.01, seed: 13, samples: ['data_A', 'data_B', 'llll'] });
    await promisify(execFile)(process.execPath, [CLI, '--data-dir', data, '--n-workers', '0', '--run-dir', local, '--no-dashboard'], { cwd: tmp, env });
  });

  /**
   * gluon-finalstates over ssh from the login host into `runDir`, with `flags`; its exit code and
   * output. `boundMs`: a run still going then is stopped (SIGTERM: 143), said at the end of stderr.
   */
  async function overSsh(t: Test, hostList: string[], runDir: string, flags: string[] = [], boundMs?: number): Promise<{ code: unknown; stdout: string; stderr: string }> {
    const p = spawn(...ssh.launch('login', [process.execPath, CLI, '--data-dir', data, '--cluster', 'ssh', '--hosts', hostList.join(','), ...flags,
      '--ssh-option', '-F', '--ssh-option', ssh.sshConfig, '--scheduler-port', '0', '--dashboard-port', '0', '--run-dir', runDir]), { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    let stdout = '', stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const bound = boundMs === undefined ? undefined : setTimeout(() => { p.kill('SIGTERM'); stderr += `\n[the test stopped it: still running after ${boundMs / 1000} s]`; }, boundMs);
    const code = await new Promise((r) => p.on('close', r));
    clearTimeout(bound);
    return { code, stdout, stderr };
  }

  /** The histograms in `runDir` are those of the in-process run. */
  function sameHistograms(t: Test, runDir: string): void {
    const hists = readdirSync(path.join(local, 'histograms')).filter((n) => n.endsWith('.json')).sort();
    t.ok(hists.length > 0, `histograms written: ${hists.join(', ')}`);
    t.same(readdirSync(path.join(runDir, 'histograms')).filter((n) => n.endsWith('.json')).sort(), hists, 'the same histogram files');
    for (const n of hists) t.same(JSON.parse(readFileSync(path.join(runDir, 'histograms', n), 'utf8')), JSON.parse(readFileSync(path.join(local, 'histograms', n), 'utf8')), `${n}: as the in-process run's`);
  }

  t.test('--cluster ssh --hosts: over TLS, the histograms of an in-process run, and nothing left on any host', async (t) => {
    const remote = path.join(tmp, 'ssh');
    const r = await overSsh(t, [hosts.sched, hosts.w1, hosts.w2], remote);
    t.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, /^ssh: started the scheduler on 10\.201\.0\.1 at wss:\/\/10\.201\.0\.1:\d+ and 2 worker sessions \(10\.201\.0\.11-1, 10\.201\.0\.12-2\); .*; clients trust the CA made for this run, \S+\/gluon-ssh-ca-[^/]+\/ca\.pem \(--tls-ca; removed when the run ends\)$/m,
      'the scheduler speaks wss://, and the CA its clients trust is named');
    t.match(r.stdout, /2 workers of 1 core\(s\) over ssh on 10\.201\.0\.11, 10\.201\.0\.12, the scheduler on 10\.201\.0\.1/, 'the start line says where the workers are');
    t.notMatch(r.stderr, /TLS is off/, 'no plain-ws:// warning');
    sameHistograms(t, remote);
    for (const h of ['sched', 'w1', 'w2']) t.same(ssh.gluonOn(h), [], `no Gluon process left on ${h}`);
  });

  t.test('--cluster ssh --no-tls: plain ws://, its risk said; the same histograms', async (t) => {
    const remote = path.join(tmp, 'ssh-plain');
    const r = await overSsh(t, [hosts.sched, hosts.w1], remote, ['--no-tls']);
    t.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, /^ssh: started the scheduler on 10\.201\.0\.1 at ws:\/\/10\.201\.0\.1:\d+ and 1 worker session \(10\.201\.0\.11-1\); .*; plain ws:\/\/, TLS off \(tls: false, --no-tls\)$/m, 'the scheduler speaks plain ws://');
    t.match(r.stderr, /ssh cluster: TLS is off \(tls: false, --no-tls\): the scheduler and workers speak plain ws:\/\/ between the hosts, so the cluster's token and every task's data and results cross the network unencrypted/, 'the risk is said, as gluon-cluster ssh --no-tls says it');
    sameHistograms(t, remote);
    for (const h of ['sched', 'w1']) t.same(ssh.gluonOn(h), [], `no Gluon process left on ${h}`);
  });

  t.test('a worker host ssh cannot reach: the run fails as soon as its session ended, naming the host with ssh\'s own error', async (t) => {
    // There is no worker_timeout_s here: the run waited for ever (until Ctrl-C) for a worker that
    // nothing would start, then (02f4df0) until max_failed_jobs (5, the default) sessions on that
    // host, the same command each time, had failed. The bound only ends such a wait.
    const r = await overSsh(t, [hosts.sched, nowhere], path.join(tmp, 'ssh-nowhere'), [], 300_000);
    t.equal(r.code, 1, `exit 1:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stderr, /^gluon-finalstates: no worker can come any more to the scheduler at wss:\/\/10\.201\.0\.1:\d+: its ssh worker session on 10\.201\.0\.99 ended before a worker joined, on every host it runs on \(a new session would run the same command on the same host\): 10\.201\.0\.99: ssh: connect to host 10\.201\.0\.99 port 22: No route to host\. Fix what it printed \(the host's name or address, its sshd, your ssh key or --ssh-option; node or gluon-worker missing on the host\) and run again$/m,
      'the failure names the host, what ssh said and what to fix');
    t.notMatch(r.stderr, /not submitting more|the test stopped it/, 'before max_failed_jobs');
    t.same(ssh.gluonOn('sched'), [], 'the scheduler was stopped');
  });
}
