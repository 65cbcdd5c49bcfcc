import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_RUN_DEFAULTS, startBatchRun } from '@gluon/deploy';
import { fakePbs, repo } from './helpers.js';

/**
 * An analysis run's batch scheduler (`gluon-h4l run --cluster slurm|pbs`, startBatchRun) takes
 * its token as gluon-cluster does: GLUON_TOKEN, else the one kept in ~/.gluon/cluster-token (made
 * there when missing), and says where it is. It made a random one and told nobody, so the
 * dashboard the run printed (http://login1:PORT/) could not be logged into, nor read by a script
 * (found on the real Slurm: api/state answered 401 to every token the user had). PBS stand-ins
 * run the jobs here.
 */
fakePbs(t);
const home = mkdtempSync(join(tmpdir(), 'gluon-batch-run-home-'));
const saved = { HOME: process.env.HOME, GLUON_TOKEN: process.env.GLUON_TOKEN };
process.env.HOME = home;
delete process.env.GLUON_TOKEN;
t.teardown(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  rmSync(home, { recursive: true, force: true });
});
const keptFile = join(home, '.gluon', 'cluster-token');

/** Starts a one-job run's cluster; resolves with what it logged and api/state's status for `token`, once its worker joined. */
async function run(token: () => string): Promise<{ lines: string[]; status: number; withoutToken: number }> {
  const lines: string[] = [];
  const { cluster, client } = await startBatchRun({ ...BATCH_RUN_DEFAULTS, cluster: 'pbs', jobs: 1 }, { cwd: repo, jobName: 'tok' }, (l) => lines.push(l));
  try {
    await cluster.waitForWorkers(1, 180_000);
    const state = new URL('api/state', cluster.dashboardDirectUrl);
    const status = (await fetch(state, { headers: { authorization: `Bearer ${token()}` } })).status;
    const withoutToken = (await fetch(state)).status;
    return { lines, status, withoutToken };
  } finally {
    await client.close();
    await cluster.close();
  }
}

t.test('no GLUON_TOKEN and none kept: one is made, kept for the user only, and said; the dashboard takes it', async (t) => {
  const r = await run(() => readFileSync(keptFile, 'utf8').trim());
  t.equal(statSync(keptFile).mode & 0o777, 0o600, 'kept in ~/.gluon/cluster-token, readable by the user only');
  t.match(r.lines.join('\n'), `its dashboard's login and clients take the token in ${keptFile}`, 'the log says where the token is');
  t.notMatch(r.lines.join('\n'), readFileSync(keptFile, 'utf8').trim(), 'and not the token itself');
  t.equal(r.status, 200, 'api/state answers the kept token');
  t.equal(r.withoutToken, 401, 'and nothing without it');
});

t.test('a token kept from before is used again, not replaced', async (t) => {
  mkdirSync(join(home, '.gluon'), { recursive: true, mode: 0o700 });
  writeFileSync(keptFile, 'kept-batch-run-token\n', { mode: 0o600 });
  const before = readFileSync(keptFile, 'utf8');
  const r = await run(() => before.trim());
  t.equal(readFileSync(keptFile, 'utf8'), before, 'the kept file is unchanged');
  t.match(r.lines.join('\n'), `the token in ${keptFile} (kept from before)`);
  t.equal(r.status, 200, 'api/state answers it');
});

t.test('GLUON_TOKEN is the scheduler\'s token when set', async (t) => {
  process.env.GLUON_TOKEN = 'batch-run-token-from-env';
  t.teardown(() => { delete process.env.GLUON_TOKEN; });
  const before = existsSync(keptFile) ? readFileSync(keptFile, 'utf8') : undefined;
  const r = await run(() => 'batch-run-token-from-env');
  t.match(r.lines.join('\n'), 'take the token in GLUON_TOKEN');
  t.equal(r.status, 200, 'api/state answers GLUON_TOKEN');
  t.equal(existsSync(keptFile) ? readFileSync(keptFile, 'utf8') : undefined, before, 'the kept file is left alone');
});
