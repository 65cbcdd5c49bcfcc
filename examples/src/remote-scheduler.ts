/**
 * Using a cluster that is already running, possibly on other hosts:
 *
 *   gluon-scheduler --host 0.0.0.0 --token "$GLUON_TOKEN"             # on the scheduler host
 *   gluon-worker ws://SCHEDULER:8786 --nthreads 4 --token "$GLUON_TOKEN"  # on each worker host
 *   node examples/dist/remote-scheduler.js ws://SCHEDULER:8786           # here (GLUON_TOKEN set)
 *
 * Workers import task code themselves, so `@gluon/examples` must be installed where they run.
 */
import { Client, remoteFrom, TaskError } from '@gluon/client';

const { inc, add, fail } = remoteFrom<typeof import('./tasks.js')>('@gluon/examples/tasks');
const url = process.argv[2] ?? process.env.GLUON_SCHEDULER ?? 'ws://127.0.0.1:8786';

const client = await Client.connect(url, { name: 'remote-scheduler-example' }); // token: GLUON_TOKEN
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
