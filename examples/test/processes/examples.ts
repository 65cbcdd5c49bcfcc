/**
 * The example scripts run as a user would run them (compiled, `node examples/dist/…`), so the
 * README's snippets cannot rot.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { LocalCluster } from '@gluon/client';
import { closedPort } from '../../../test/helpers/closed-port.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const script = (name: string) => join(root, 'examples', 'dist', `${name}.js`);
/**
 * How long an example may run before it is taken for hung and killed: a bound for a hang, not a
 * speed target. group-by (a local cluster of two workers, five files) took over 120 s at load ~80
 * on 2 cores at the lowest priority and was killed at its 120 s bound mid-output (the others
 * had 60 s). A hang still fails inside tap's 900 s per file.
 */
const HUNG_MS = 300_000;

t.before(() => {
  if (!existsSync(script('quickstart'))) throw new Error(`${script('quickstart')} is missing: build first (npx tsc -b)`);
});

t.test('quickstart prints the sum and the merged histogram', async (t) => {
  const { stdout } = await run(process.execPath, [script('quickstart')], { cwd: root, timeout: HUNG_MS });
  t.match(stdout, /sum of inc\(1\.\.5\) = 20/);
  t.match(stdout, /entries in the merged histogram: 2000000/);
});

t.test('tree-reduce merges every entry', async (t) => {
  const { stdout } = await run(process.execPath, [script('tree-reduce'), '300'], { cwd: root, timeout: HUNG_MS });
  t.match(stdout, /entries: 3000000 \(expected 3000000\)/);
});

t.test('group-by skips the bad files naming file, line and why, retries the late one, and matches in-process', async (t) => {
  const { stdout } = await run(process.execPath, [script('group-by'), '5', '3000'], { cwd: root, timeout: HUNG_MS });
  t.match(stdout, /^retried once their files landed: sales-4\.ndjson$/m);
  // The truncated row carries BAD_ROW too: it had no code, unlike the bad quantity's.
  t.match(stdout, /^skipped \(BAD_ROW\): task aggregateFile-[0-9a-f]+ failed on worker local-\d: Error: \S+\/sales-1\.ndjson:1501: not a JSON record: \{"region"/m);
  t.match(stdout, /^ {2}because: SyntaxError: /m, 'the JSON parser\'s error, the cause, from the remote stack');
  t.match(stdout, /^skipped \(BAD_ROW\): task aggregateFile-[0-9a-f]+ failed on worker local-\d: Error: \S+\/sales-2\.ndjson:1501: qty is not a whole number ≥ 0: "two"$/m);
  t.match(stdout, /^3 of 5 files, 9000 rows, 320 groups \(Uint32Array, Float64Array\)$/m);
  t.match(stdout, /^the same as in this process: yes$/m);
});

t.test('remote-scheduler connects to a running cluster with a token', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, token: 'example-token', cwd: root });
  t.teardown(() => cluster.close());
  const env = { ...process.env, GLUON_TOKEN: 'example-token' };
  const { stdout } = await run(process.execPath, [script('remote-scheduler'), cluster.schedulerAddress], { cwd: root, env, timeout: HUNG_MS });
  t.match(stdout, /sum of inc\(1\.\.5\) = 20/);
  t.match(stdout, /a failing task: task fail-[0-9a-f]+ failed on worker local-0: Error: shown with its key/);
});

t.test('remote-scheduler refused by a running scheduler names its inputs, not how to start one', async (t) => {
  // It said "start one with `npx gluon-scheduler`" to a client the scheduler there had refused
  // (a token missing, a client certificate required).
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, token: 'example-token', cwd: root });
  t.teardown(() => cluster.close());
  const env = { ...process.env, GLUON_TOKEN: undefined };
  const err = await run(process.execPath, [script('remote-scheduler'), cluster.schedulerAddress], { cwd: root, env, timeout: HUNG_MS }).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 1);
  t.match(err?.stderr, /^remote-scheduler: Client\.connect\(ws:\/\/127\.0\.0\.1:\d+\): missing token/);
  t.match(err?.stderr, /\n\(a scheduler answered and refused this script: it takes the token in GLUON_TOKEN, and over wss:\/\/ the CA in GLUON_TLS_CA and its own certificate in GLUON_TLS_CERT and GLUON_TLS_KEY\)\n$/);
  t.notMatch(err?.stderr, /start one/);
});

t.test('remote-scheduler given a TLS file it cannot read names it, without a stack trace', async (t) => {
  // It died with an uncaught StartFailure and its stack (found by the new-user trial).
  const missing = join(root, 'no-such-ca.pem');
  const err = await run(process.execPath, [script('remote-scheduler'), 'wss://127.0.0.1:8786'], { cwd: root, env: { ...process.env, GLUON_TLS_CA: missing }, timeout: HUNG_MS })
    .then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 1);
  t.equal(err?.stderr, `remote-scheduler: Client.connect: tls.ca ${missing}: cannot read it (ENOENT)\n(the files come from GLUON_TLS_CA, GLUON_TLS_CERT and GLUON_TLS_KEY)\n`);
});

t.test('remote-scheduler without a scheduler says so and how to start one, without a stack trace', async (t) => {
  // It died with an uncaught HandshakeError and its stack.
  // A port nothing listens on, that no listen(0) is given (test/helpers/closed-port.ts); not one
  // a closed listener had, which another process's listen(0) could be given meanwhile.
  const port = await closedPort();
  const err = await run(process.execPath, [script('remote-scheduler'), `ws://127.0.0.1:${port}`], { cwd: root, timeout: HUNG_MS }).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 1);
  // Client.connect tries again while nothing answers (c3f28c2), then says how often.
  t.match(err?.stderr, new RegExp(`^remote-scheduler: Client\\.connect\\(ws://127\\.0\\.0\\.1:${port}\\): cannot connect to scheduler ws://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}(; tried \\d+ times [^\\n]*)?\\n`));
  t.ok(err?.stderr.endsWith(`\n(start one with \`npx gluon-scheduler\` and workers with \`npx gluon-worker ws://127.0.0.1:${port}\`, or give its address: node examples/dist/remote-scheduler.js ws://HOST:8786)\n`));
});
