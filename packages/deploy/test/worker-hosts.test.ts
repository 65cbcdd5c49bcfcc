import t from 'tap';
import { pickWorkerHost } from '../src/worker-hosts.js';
import type { FailedStart } from '../src/no-worker-coming.js';

/** Which worker host an ssh cluster's next session goes to, from the free hosts and the failed run alone. */
const failedOn = (host: string, n: number): FailedStart =>
  ({ id: `${host}-${n}`, joined: false, outputFile: 'what its ssh session printed: ssh: connect to host', session: { host, printed: `ssh: connect to host ${host} port 22: No route to host` } });

t.test('a free host that has not failed goes first, in the order given', async (t) => {
  t.equal(pickWorkerHost(['lab3', 'lab4'], []), 'lab3', 'nothing failed: the first free host');
  // scale(1) over lab3 and lab4: lab3's session ended before its worker joined. Before, the next
  // session went to lab3 again (the first free host), until max_failed_jobs, with lab4 never tried.
  t.equal(pickWorkerHost(['lab3', 'lab4'], [failedOn('lab3', 1)]), 'lab4', 'lab3 failed: lab4, never tried');
  t.equal(pickWorkerHost(['lab3', 'lab4', 'lab5'], [failedOn('lab3', 1), failedOn('lab4', 2)]), 'lab5', 'the first one not failed');
  t.equal(pickWorkerHost(['lab3'], [failedOn('lab4', 2)]), 'lab3', 'a failed host that is busy is not among the free');
});

t.test('when every free host has failed: the one that failed longest ago', async (t) => {
  t.equal(pickWorkerHost(['lab3', 'lab4'], [failedOn('lab3', 1), failedOn('lab4', 2)]), 'lab3');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [failedOn('lab3', 1), failedOn('lab4', 2), failedOn('lab3', 3)]), 'lab4', 'its latest failure counts');
  t.equal(pickWorkerHost([], [failedOn('lab3', 1)]), undefined, 'no host free');
});
