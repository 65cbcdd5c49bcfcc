/**
 * Using a cluster that is already running, possibly on other hosts:
 *
 *   gluon-scheduler --host SCHEDULER --token-file token                          # on the scheduler host
 *   gluon-worker ws://SCHEDULER:8786 --listen-host WORKER --nthreads 4 --token-file token  # on each worker host
 *   GLUON_TOKEN=$(cat token) node examples/dist/remote-scheduler.js ws://SCHEDULER:8786   # here
 *
 * Over TLS (docs/across-hosts.md: the scheduler and workers get --tls-cert/--tls-key/--tls-ca, and
 * --require-client-cert for mutual TLS), give this script the CA and its own certificate:
 *
 *   GLUON_TLS_CA=ca.pem GLUON_TLS_CERT=client.pem GLUON_TLS_KEY=client.key \
 *     node examples/dist/remote-scheduler.js wss://SCHEDULER:8786
 *
 * Workers import task code themselves, so `@gluon/examples` must be installed where they run.
 */
import { Client, CloseCode, HandshakeError, remoteFrom, TaskError } from '@gluon/client';

const { inc, add, fail } = remoteFrom<typeof import('./tasks.js')>('@gluon/examples/tasks');
const url = process.argv[2] ?? process.env.GLUON_SCHEDULER ?? 'ws://127.0.0.1:8786';

const env = process.env;
const tls = env.GLUON_TLS_CA || env.GLUON_TLS_CERT
  ? { ...(env.GLUON_TLS_CA ? { ca: env.GLUON_TLS_CA } : {}), ...(env.GLUON_TLS_CERT ? { cert: env.GLUON_TLS_CERT } : {}), ...(env.GLUON_TLS_KEY ? { key: env.GLUON_TLS_KEY } : {}) }
  : undefined;
// token: GLUON_TOKEN; tls: file paths (PEM text works too)
// A scheduler that is not there (or refuses us) is a message, not a stack trace.
const client = await Client.connect(url, { name: 'remote-scheduler-example', ...(tls ? { tls } : {}) }).catch((err: unknown) => {
  // A TLS file that cannot be read or holds the wrong thing, or TLS files with a ws:// address:
  // checked before dialling, named by its field and path (it died with the error's stack).
  if (err instanceof Error && (err.name === 'StartFailure' || err instanceof TypeError)) {
    process.stderr.write(`remote-scheduler: ${err.message}\n(the files come from GLUON_TLS_CA, GLUON_TLS_CERT and GLUON_TLS_KEY)\n`);
    process.exit(1);
  }
  if (!(err instanceof HandshakeError)) throw err;
  // Nothing answered (code going: refused, cut; handshakeTimeout: no answer in time): say how to
  // start one. A scheduler that answered and refused (token, TLS, version) is there: starting
  // another is not the way out, this script's inputs are.
  const hint = err.code === CloseCode.going || err.code === CloseCode.handshakeTimeout
    ? `start one with \`npx gluon-scheduler\` and workers with \`npx gluon-worker ${url}\`, or give its address: node examples/dist/remote-scheduler.js ws://HOST:8786`
    : 'a scheduler answered and refused this script: it takes the token in GLUON_TOKEN, and over wss:// the CA in GLUON_TLS_CA and its own certificate in GLUON_TLS_CERT and GLUON_TLS_KEY';
  process.stderr.write(`remote-scheduler: ${err.message}\n(${hint})\n`);
  process.exit(1);
});
try {
  if (client.dashboardUrl) console.log(`dashboard: ${client.dashboardUrl}`);
  const xs = client.map(inc, [1, 2, 3, 4, 5]);
  const total = client.submit(add, ...xs);
  console.log('sum of inc(1..5) =', await total.result());
  try {
    await client.submit(fail, 'shown with its key, worker and remote stack').result();
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    console.log(`a failing task: ${err.message}`);
  }
} finally {
  await client.close();
}
