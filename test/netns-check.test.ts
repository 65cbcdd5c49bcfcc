/**
 * `scripts/netns.sh check` says what it found either way. On success it printed nothing, so a new
 * user running it could not tell a pass from a check that never ran. And the tests' labs
 * (packages/worker/test/netns.ts) are named after the checkout and process, and a killed test's
 * are swept by the next lab of the same checkout: named gluon-t<pid><n>-HOST, two checkouts' labs
 * could not be told apart, and a killed test's stayed until someone deleted them by hand.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHECKOUT_TAG, NETNS_PREFIX, NetLab, netnsUnavailable, sweepStaleLabs } from '../packages/worker/test/netns.js';
import { workerCli } from '../packages/worker/test/procs.js';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';

const script = fileURLToPath(new URL('../scripts/netns.sh', import.meta.url));

t.test('check says namespaces can be made, or why not', async (t) => {
  const r = spawnSync('bash', [script, 'check'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) {
    t.match(r.stdout, /^netns\.sh: network namespaces with veth pairs and bridges can be made here\n$/);
    t.equal(r.stderr, '');
  } else {
    // Not root, no `ip`, no CAP_SYS_ADMIN: the reason, on stderr, and nothing claimed on stdout.
    t.equal(r.status, 1);
    t.match(r.stderr, /^netns\.sh: \S/);
    t.equal(r.stdout, '');
  }
});

/** The namespaces `ip netns list` shows. */
const namespaces = () => (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '').split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

t.test('NetLab names its namespaces after this checkout and process, and the next lab sweeps those of a killed test of this checkout only', { skip: netnsUnavailable() ?? false }, async (t) => {
  // A process that is gone: its pid names the lab a killed test left (no exit handler ran).
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  // Under a checkout tag of this test process's own: every other test file of this checkout
  // running beside this one sweeps CHECKOUT_TAG's dead labs when it makes its first lab, and
  // took this one mid-test (in CI: 'down of a shorter ID left it' and 'the sweep names …' failed).
  const tag = `${CHECKOUT_TAG}-t${process.pid}`;
  const gone = `${tag}-${dead.stdout}-0`, other = `other-checkout-0000-${dead.stdout}-0`;
  const up = (id: string, host: string, addr: string) => spawnSync('bash', [script, 'up', id, `${host}=${addr}`], { encoding: 'utf8', timeout: 60_000 });
  t.teardown(() => { for (const id of [gone, other]) spawnSync('bash', [script, 'down', id], { timeout: 60_000 }); });
  t.equal(up(gone, 'a', '10.201.0.46').status, 0, 'a lab as a killed test of this checkout left it');
  t.equal(up(other, 'b', '10.201.0.47').status, 0, 'another checkout\'s lab');
  t.ok(namespaces().includes(`gluon-${gone}-a`) && namespaces().includes(`gluon-${gone}-hub`));
  // `down ID` takes exactly gluon-ID-HOST: not the labs whose ID only begins with it.
  t.equal(spawnSync('bash', [script, 'down', `${tag}-${dead.stdout}`], { timeout: 60_000 }).status, 0);
  t.ok(namespaces().includes(`gluon-${gone}-a`), 'down of a shorter ID left it');
  // What another test file of this checkout does meanwhile leaves it to this test.
  t.notOk(sweepStaleLabs().includes(gone), 'a sweep of this checkout\'s labs (CHECKOUT_TAG) does not take a lab of a longer tag');
  t.ok(namespaces().includes(`gluon-${gone}-a`), 'so it is still there');
  t.same(sweepStaleLabs(tag), [gone], 'the sweep names the killed test\'s lab');
  t.same(namespaces().filter((n) => n.startsWith(`gluon-${gone}-`)), [], 'and its namespaces are gone');
  t.ok(namespaces().includes(`gluon-${other}-b`), 'another checkout\'s lab is not touched');
  const lab = await NetLab.create({ c: '10.201.0.48' }, { tls: false });
  t.teardown(() => lab.destroy());
  t.equal(lab.id, `${CHECKOUT_TAG}-${process.pid}-0`, 'a lab\'s ID: the checkout, the process, its number');
  t.match(CHECKOUT_TAG, /^[a-z0-9-]+-[0-9a-f]{4}$/);
  t.ok(namespaces().includes(`gluon-${lab.id}-c`), `its host's namespace: gluon-${lab.id}-c`);
  // Only this lab is asserted on: a test of this checkout killed meanwhile may have left one to sweep.
  t.notOk(sweepStaleLabs().includes(lab.id), 'a live process\'s lab is not swept');
  t.ok(namespaces().includes(`gluon-${lab.id}-c`), 'and is still there');
  t.throws(() => sweepStaleLabs('Bad tag'), { message: /^sweepStaleLabs: a tag is lowercase letters, digits and inner dashes, got 'Bad tag'$/ });
});

t.test('a worker on another host started without --listen-host: the scheduler says its loopback data address is out of the other hosts\' reach', { skip: netnsUnavailable() ?? false }, async (t) => {
  // Found by the hosts trial: it joined advertising ws://127.0.0.1:PORT and nothing was said, its
  // results then fetched by the other hosts' workers and clients from their own machines.
  const lab = await NetLab.create({ sched: `${NETNS_PREFIX}1`, w1: `${NETNS_PREFIX}11`, w2: `${NETNS_PREFIX}12` }, { tls: false });
  t.teardown(() => lab.destroy());
  const s = await lab.startScheduler('sched');
  const reachable = await lab.startWorker('w1', s.address, ['--nthreads', '1']);
  const local = lab.start('w2', workerCli, [s.address, '--nthreads', '1', '--name', 'w2'], { nodeArgs: WORKER_V8_FLAGS });
  const joined = await local.waitFor(/^worker \S+ at (ws:\/\/127\.0\.0\.1:\d+) connected to /m);
  const line = (await s.proc.waitFor(/^.*worker w2 joined from 10\.201\.0\.12 but advertises .*$/m))[0];
  t.match(line, `worker w2 joined from ${NETNS_PREFIX}12 but advertises ${joined[1]}, a loopback address: workers and clients on other hosts would dial their own machine for its results (gluon-worker listens on 127.0.0.1 unless given --listen-host): start it with --listen-host ${NETNS_PREFIX}12`);
  t.notMatch(s.proc.output(), `worker ${reachable.name} joined from ${NETNS_PREFIX}11 but`, 'a worker given --listen-host is not named');
});
