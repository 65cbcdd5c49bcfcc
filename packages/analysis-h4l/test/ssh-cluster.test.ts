/**
 * `gluon-h4l run --cluster ssh` against real sshd (deploy's ssh-hosts.ts: one sshd per host, each
 * host a network namespace with its own address, keys made for this run). The run is started on
 * a "login" host, as a user would type it; the scheduler starts on the first of --hosts, a worker
 * on each other, and the outputs are those of an in-process run, byte for byte. The hosts and the
 * run's client speak TLS (wss://, the CA made for the run) unless `--no-tls` / `tls: false`, which
 * says its risk. A host that cannot be reached is named with ssh's own error; SIGTERM leaves
 * nothing on any host. Skips, saying why, where namespaces or sshd are not available.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../src/generate/index.js';
import { CLI, cliSandbox, type Ran } from './cli-sandbox.js';
import { printed } from './sigint-run.js';
import { sshHostsUnavailable, startSshHosts, type SshHosts } from '../../deploy/test/ssh-hosts.js';

const why = sshHostsUnavailable();
if (why) {
  t.skip(`gluon-h4l run --cluster ssh against real sshd: ${why}`, () => {});
} else {
  const hosts = { login: '10.201.0.2', sched: '10.201.0.1', w1: '10.201.0.11', w2: '10.201.0.12' };
  /** Addresses of the lab's network that no host has: ssh's connect fails (No route to host). */
  const nowhere = '10.201.0.99', nowhere2 = '10.201.0.98';
  const ssh = await startSshHosts(hosts, { unreachable: [nowhere, nowhere2] });
  t.teardown(() => ssh.stop());
  const { tmp, cli } = cliSandbox(t, 'h4l-ssh-');
  const data = path.join(tmp, 'data');
  // The token the run keeps (~/.gluon/cluster-token) goes to this home, not the user's.
  const home = path.join(tmp, 'home');
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SOURCE_DATE_EPOCH: '1700000000' };
  delete env.GLUON_TOKEN;
  const sshFlags = ['--ssh-option', '-F', '--ssh-option', ssh.sshConfig, '--scheduler-port', '0', '--dashboard-port', '0'];
  const local = path.join(tmp, 'out-local');

  t.before(async () => {
    await generateDataset({ outDir: data, scale: 0.01, seed: 11 });
    await cli(['run', '--no-config', '--data-dir', data, '--n-workers', '0', '--out', local, '--chunk-size', '400', '--no-dashboard'], { env });
  });

  t.test('--cluster ssh --hosts: the scheduler on the first host, a worker on each other, over TLS; the outputs of an in-process run, and nothing left on any host', async (t) => {
    const out = path.join(tmp, 'out-ssh');
    const r = await onLogin(ssh, ['run', '--no-config', '--data-dir', data, '--cluster', 'ssh', '--hosts', `${hosts.sched},${hosts.w1},${hosts.w2}`, ...sshFlags,
      '--out', out, '--chunk-size', '400'], tmp, env);
    t.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, new RegExp(`^ssh: started the scheduler on ${dots(hosts.sched)} at wss://${dots(hosts.sched)}:\\d+ and 2 worker sessions \\(${dots(hosts.w1)}-1, ${dots(hosts.w2)}-2\\); its dashboard's login and clients take the token in ${dots(home)}/\\.gluon/cluster-token; `
      + 'clients trust the CA made for this run, \\S+/gluon-ssh-ca-[^/]+/ca\\.pem \\(--tls-ca; removed when the run ends\\)$', 'm'), 'the scheduler speaks wss://, and the CA its clients trust is named');
    t.match(r.stdout, new RegExp(`ssh workers \\(2\\), scheduler wss://${dots(hosts.sched)}:\\d+`), 'the run\'s own client connected over wss://, trusting that CA');
    t.notMatch(r.stderr, /TLS is off/, 'no plain-ws:// warning');
    const ca = / (\S+\/ca\.pem) \(--tls-ca/.exec(r.stdout)?.[1];
    t.ok(ca && !existsSync(ca), `the CA's directory is gone after the run (${ca})`);
    sameOutputs(t, local, out);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    t.ok(run.workers.seen.length >= 1 && run.workers.seen.every((w: string) => new RegExp(`${dots(hosts.w1)}|${dots(hosts.w2)}`).test(w)), `the chunks ran on the hosts' workers: ${run.workers.seen}`);
    for (const h of ['sched', 'w1', 'w2']) t.same(ssh.gluonOn(h), [], `no Gluon process left on ${h}`);
  });

  t.test('hosts: in the config file (and ssh_options, the ports, tls: false), the first host listed again for a worker there too: the same run, over plain ws:// with its risk said', async (t) => {
    const dir = path.join(tmp, 'from-config');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.yaml'), [
      'cluster: ssh', `hosts: [${hosts.sched}, ${hosts.sched}, ${hosts.w1}]`, `ssh_options: [-F, ${ssh.sshConfig}]`,
      'scheduler_port: 0', 'dashboard_port: 0', 'tls: false', `data_dir: ${data}`, 'chunk_size: 400', 'out: out', '',
    ].join('\n'));
    const r = await onLogin(ssh, ['run'], dir, env);
    t.equal(r.code, 0, `exit 0:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, new RegExp(`at ws://${dots(hosts.sched)}:\\d+ and 2 worker sessions \\(${dots(hosts.sched)}-1, ${dots(hosts.w1)}-2\\); .*; plain ws://, TLS off \\(tls: false, --no-tls\\)$`, 'm'), 'a worker on the scheduler\'s host and on w1, over plain ws://');
    t.match(r.stdout, new RegExp(`ssh workers \\(2\\), scheduler ws://${dots(hosts.sched)}:\\d+`), 'the run\'s client connected over ws://');
    t.match(r.stderr, /ssh cluster: TLS is off \(tls: false, --no-tls\): the scheduler and workers speak plain ws:\/\/ between the hosts, so the cluster's token and every task's data and results cross the network unencrypted/, 'the risk is said, as gluon-cluster ssh --no-tls says it');
    const run = JSON.parse(readFileSync(path.join(dir, 'out', 'run.json'), 'utf8'));
    t.ok(run.workers.seen.length >= 1, `workers ran chunks: ${run.workers.seen}`);
    sameOutputs(t, local, path.join(dir, 'out'));
    for (const h of ['sched', 'w1']) t.same(ssh.gluonOn(h), [], `no Gluon process left on ${h}`);
  });

  t.test('a worker host ssh cannot reach: the give-up names it with ssh\'s own error', async (t) => {
    // One try (--max-failed-jobs 1): the session is not started again, so the give-up finds it ended.
    const r = await onLogin(ssh, ['run', '--no-config', '--data-dir', data, '--cluster', 'ssh', '--hosts', `${hosts.sched},${nowhere}`, ...sshFlags,
      '--max-failed-jobs', '1', '--worker-timeout', '45', '--out', path.join(tmp, 'out-nowhere')], tmp, env);
    t.equal(r.code, 1, `exit 1:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stderr, new RegExp(`ssh cluster: job ${dots(nowhere)}-1 ended before its worker joined; read what its ssh session printed: ssh: connect to host ${dots(nowhere)} port 22: No route to host`), 'the cluster said it at once');
    // The cluster gave up (02f4df0): the run ends at once, not at worker_timeout_s.
    t.match(r.stderr, new RegExp(`^gluon-h4l run: no worker can come any more to the scheduler at wss://${dots(hosts.sched)}:\\d+: its ssh worker sessions keep ending before their worker joins \\(1 in a row, max_failed_jobs 1\\), so the cluster starts no more: `
      + `${dots(nowhere)}: ssh: connect to host ${dots(nowhere)} port 22: No route to host\\. Fix what it printed \\(the host's name or address, its sshd, your ssh key or --ssh-option; node or gluon-worker missing on the host\\) and run again$`, 'm'), 'the give-up names the host and what ssh said');
    t.notMatch(r.stderr, /took a task within 45 s/, 'at once, not after worker_timeout_s');
    t.same(ssh.gluonOn('sched'), [], 'the scheduler was stopped');
  });

  t.test('worker hosts ssh cannot reach: the run gives up once each has failed, naming each host with ssh\'s own error, not at max_failed_jobs nor worker_timeout_s', async (t) => {
    // max_failed_jobs is 5 (the default): the cluster would start each host's session again, the
    // same command on the same host, until 5 had failed in a row; the run waited for that (before
    // 6 December 2026 naming only the last session), or (before 02f4df0) out its worker_timeout_s,
    // an hour here. The bound only ends such a wait: the give-up follows ssh's errors.
    const r = await onLogin(ssh, ['run', '--no-config', '--data-dir', data, '--cluster', 'ssh', '--hosts', `${hosts.sched},${nowhere},${nowhere2}`, ...sshFlags,
      '--worker-timeout', '3600', '--out', path.join(tmp, 'out-nowhere-both')], tmp, env, 300_000);
    t.equal(r.code, 1, `exit 1:\n${r.stdout}\n${r.stderr}`);
    for (const h of [nowhere, nowhere2]) {
      t.match(r.stderr, new RegExp(`ssh cluster: job ${dots(h)}-\\d+ ended before its worker joined; read what its ssh session printed: ssh: connect to host ${dots(h)} port 22: No route to host`), `the cluster said ${h} at once`);
    }
    const giveUp = r.stderr.split('\n').find((l) => l.startsWith('gluon-h4l run: '));
    t.match(giveUp, new RegExp(`^gluon-h4l run: no worker can come any more to the scheduler at wss://${dots(hosts.sched)}:\\d+: its ssh worker sessions on (${dots(nowhere)}, ${dots(nowhere2)}|${dots(nowhere2)}, ${dots(nowhere)}) `
      + 'ended before a worker joined, on every host it runs on \\(a new session would run the same command on the same host\\): .*\\. Fix what each printed'), 'the run gave up once every host had failed');
    for (const h of [nowhere, nowhere2]) t.match(giveUp, `${h}: ssh: connect to host ${h} port 22: No route to host`, `the give-up names ${h} with what ssh said`);
    t.notMatch(r.stderr, /not submitting more/, 'before max_failed_jobs');
    t.notMatch(r.stderr, /took a task within 3600 s|the test stopped it/, 'not at worker_timeout_s');
    t.same(ssh.gluonOn('sched'), [], 'the scheduler was stopped');
  });

  t.test('a scheduler host ssh cannot reach: the run fails at once with ssh\'s own error', async (t) => {
    const r = await onLogin(ssh, ['run', '--no-config', '--data-dir', data, '--cluster', 'ssh', '--hosts', `${nowhere},${hosts.w1}`, ...sshFlags, '--out', path.join(tmp, 'out-nowhere-2')], tmp, env);
    t.equal(r.code, 1, `exit 1:\n${r.stdout}\n${r.stderr}`);
    t.match(r.stderr, new RegExp(`ssh cluster: the scheduler on ${dots(nowhere)} exited \\(255\\) before listening; it printed: ssh: connect to host ${dots(nowhere)} port 22: No route to host`));
    t.same(ssh.gluonOn('w1'), [], 'no worker was started');
  });

  /** The pids of the gluon-worker node processes in a host's namespace (not the shells that start them). */
  const workerPids = (host: string) => spawnSync('ip', ['netns', 'pids', `gluon-${ssh.lab.id}-${host}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return path.basename(argv[0]!).startsWith('node') && argv.some((a) => a.endsWith('gluon-worker.js'));
      } catch {
        return false;
      }
    });

  t.test('SIGTERM while the run waits for its workers: exit 143, and no Gluon process left on any host', async (t) => {
    // w1 cannot reach the scheduler's host (an unreachable route in w1's namespace, made before the
    // run starts): its worker runs and keeps retrying its connection, so the run is still waiting
    // for its workers whenever the SIGTERM comes, however loaded the machine. (Holding the worker
    // with SIGSTOP once it appeared raced: at load 40 it had connected and run all 12 chunks before
    // the test saw it, exit 0 and no interrupted line.) ssh from the login host to w1 is unaffected.
    const w1ns = `gluon-${ssh.lab.id}-w1`;
    const route = (op: 'add' | 'del') => spawnSync('ip', ['netns', 'exec', w1ns, 'ip', 'route', op, 'unreachable', `${hosts.sched}/32`], { encoding: 'utf8' });
    const added = route('add');
    t.equal(added.status, 0, `w1 cannot reach the scheduler's host: ${added.stderr}`);
    t.teardown(() => { route('del'); });
    const p = spawn(...ssh.launch('login', [process.execPath, CLI, 'run', '--no-config', '--data-dir', data, '--cluster', 'ssh', '--hosts', `${hosts.sched},${hosts.w1}`, ...sshFlags,
      '--worker-timeout', '3600', '--out', path.join(tmp, 'out-term')]), { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => p.on('exit', (code, sig) => r([code, sig])));
    const stderr = printed(p.stderr!, /interrupted \(SIGTERM\)[^\n]*\n/, 'interrupted line');
    stderr.catch(() => {});
    await printed(p.stdout!, /^ssh: started the scheduler/m, '"ssh: started" line');
    // Its worker runs on w1 (bounded wait), so the stop has one to end.
    let running: number[] = [];
    for (let i = 0; i < 6000 && running.length === 0; i++) {
      running = workerPids('w1');
      if (running.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    t.ok(running.length > 0, 'a worker ran on w1');
    // The hosts speak TLS: the worker dials wss:// and checks the scheduler with the run's CA.
    t.match(ssh.gluonOn('w1').find((c) => c.includes('gluon-worker')), new RegExp(`gluon-worker\\.js wss://${dots(hosts.sched)}:\\d+ .*--tls-ca \\S+/ca\\.pem`), 'the worker dials wss://, verifying the scheduler');
    t.match(ssh.gluonOn('sched').find((c) => c.includes('gluon-scheduler')), /--tls-cert \S+\/node\.pem --tls-key \S+\/node\.key/, 'the scheduler listens with its host\'s certificate');
    p.kill('SIGTERM');
    t.same(await exited, [143, null], 'exit 143');
    t.match(await stderr, /gluon-h4l run: interrupted \(SIGTERM\)/);
    for (const h of ['sched', 'w1']) t.same(ssh.gluonOn(h), [], `no Gluon process left on ${h}`);
  });

  t.test('Ctrl-C in a terminal (SIGINT to the run\'s process group) while the scheduler starts: exit 130, said as the interrupt, nothing left', async (t) => {
    // Its own process group, as a terminal's foreground job. ssh in that group died of the
    // signal, and the start failed with its end (exit 1) before the run's handler ran.
    const p = spawn(...ssh.launch('login', [process.execPath, CLI, 'run', '--no-config', '--data-dir', data, '--cluster', 'ssh', '--hosts', `${hosts.sched},${hosts.w1}`, ...sshFlags,
      '--out', path.join(tmp, 'out-int')]), { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    t.teardown(() => { if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL'); });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => p.on('exit', (code, sig) => r([code, sig])));
    let stdout = '';
    p.stdout!.on('data', (d) => (stdout += d));
    const stderr = printed(p.stderr!, /interrupted \(SIGINT\)[^\n]*\n/, 'interrupted line');
    stderr.catch(() => {});
    // The scheduler's session is open and its process runs on its host (bounded wait).
    for (let i = 0; i < 1200 && !ssh.gluonOn('sched').some((c) => c.includes('gluon-scheduler')); i++) await new Promise((r) => setTimeout(r, 100));
    t.ok(ssh.gluonOn('sched').some((c) => c.includes('gluon-scheduler')), 'the scheduler ran on its host');
    process.kill(-p.pid!, 'SIGINT');
    t.same(await exited, [130, null], `exit 130:\n${stdout}`);
    t.match(await stderr, /gluon-h4l run: interrupted \(SIGINT\)/, 'said as the interrupt');
    t.notMatch(await stderr, /exited \(\S+\) before listening/, 'not as the ssh session\'s end');
    for (const h of ['sched', 'w1']) t.same(ssh.gluonOn(h), [], `no Gluon process left on ${h}`);
  });
}

/** A regular expression's text matching `s` as it is. */
function dots(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs gluon-h4l on the lab's login host, in `cwd`; resolves with how it ended. `boundMs`: a run
 * still going then is stopped (SIGTERM, so it ends 143), said at the end of its stderr.
 */
function onLogin(ssh: SshHosts, args: string[], cwd: string, env: NodeJS.ProcessEnv, boundMs?: number): Promise<Ran> {
  const p = spawn(...ssh.launch('login', [process.execPath, CLI, ...args]), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  const bound = boundMs === undefined ? undefined : setTimeout(() => { p.kill('SIGTERM'); stderr += `\n[the test stopped it: still running after ${boundMs / 1000} s]`; }, boundMs);
  return new Promise((resolve) => p.on('close', (code) => { clearTimeout(bound); resolve({ code: code ?? -1, stdout, stderr }); }));
}

/** Every output file but run.json the same bytes in `b` as in `a`. */
function sameOutputs(t: Test, a: string, b: string): void {
  const names = readdirSync(a).sort();
  t.same(readdirSync(b).sort(), names, 'the same files');
  for (const n of names.filter((x) => x !== 'run.json')) t.ok(readFileSync(path.join(a, n)).equals(readFileSync(path.join(b, n))), `${n}: byte for byte as the in-process run's`);
}
