import t from 'tap';
import { pickWorkerHost, type OpenSession } from '../../src/worker-hosts.js';
import type { FailedStart } from '../../src/no-worker-coming.js';

/** Which worker host an ssh cluster's next session goes to, from the hosts, their open sessions and the failed run alone. */
const failedOn = (host: string, n: number): FailedStart =>
  ({ id: `${host}-${n}`, joined: false, outputFile: 'what its ssh session printed: ssh: connect to host', session: { host, printed: `ssh: connect to host ${host} port 22: No route to host` } });
const working = (host: string): OpenSession => ({ host, retiring: false });
const retiring = (host: string): OpenSession => ({ host, retiring: true });

t.test('a host with no session open that has not failed goes first, in the order given', async (t) => {
  t.equal(pickWorkerHost(['lab3', 'lab4'], [], []), 'lab3', 'nothing open, nothing failed: the first host');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [working('lab3')], []), 'lab4', 'lab3 runs a worker: lab4');
  // scale(1) over lab3 and lab4: lab3's session ended before its worker joined. Before, the next
  // session went to lab3 again (the first free host), until max_failed_jobs, with lab4 never tried.
  t.equal(pickWorkerHost(['lab3', 'lab4'], [], [failedOn('lab3', 1)]), 'lab4', 'lab3 failed: lab4, never tried');
  t.equal(pickWorkerHost(['lab3', 'lab4', 'lab5'], [], [failedOn('lab3', 1), failedOn('lab4', 2)]), 'lab5', 'the first one not failed');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [working('lab4')], [failedOn('lab4', 2)]), 'lab3', 'a failed host that runs a session now is not free');
});

t.test('when every free host has failed: the one that failed longest ago', async (t) => {
  t.equal(pickWorkerHost(['lab3', 'lab4'], [], [failedOn('lab3', 1), failedOn('lab4', 2)]), 'lab3');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [], [failedOn('lab3', 1), failedOn('lab4', 2), failedOn('lab3', 3)]), 'lab4', 'its latest failure counts');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [working('lab3'), working('lab4')], [failedOn('lab3', 1)]), undefined, 'no host free');
});

t.test('a host whose worker is retiring, its session still open, takes that worker\'s replacement', async (t) => {
  // One worker per host, --lifetime: the core replaces a retiring worker at once (job-plan.ts), while
  // its session is still open (it finishes its tasks and hands its results over, up to its grace).
  // Before, that host counted as taken: with a worker on every host, no replacement started ("every
  // worker host runs a worker") until the retiring session had ended, and a last worker had none
  // to hand its results to.
  t.equal(pickWorkerHost(['lab3'], [retiring('lab3')], []), 'lab3', 'one host, its worker retiring: the replacement goes there');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [working('lab3'), retiring('lab4')], []), 'lab4', 'every host has a session: the retiring one\'s');
  // Fewer workers than hosts (--jobs 2 over three): a host with nothing running goes first, so no
  // host runs two workers at once while another is idle.
  t.equal(pickWorkerHost(['lab3', 'lab4', 'lab5'], [retiring('lab3'), working('lab4')], []), 'lab5', 'an idle host before the retiring one');
  // Its worker joined there (the failed run was cleared then): the command works on it, unlike on
  // a host whose session just ended before its worker joined.
  t.equal(pickWorkerHost(['lab3', 'lab4'], [retiring('lab3')], [failedOn('lab4', 2)]), 'lab3', 'before a free host that failed');
  t.equal(pickWorkerHost(['lab3', 'lab4', 'lab5'], [retiring('lab3'), retiring('lab4'), working('lab5')], []), 'lab3', 'several retiring: in the order given');
  // At most one working worker per host: the replacement started there is not retiring.
  t.equal(pickWorkerHost(['lab3'], [retiring('lab3'), working('lab3')], []), undefined, 'its replacement already runs there: not free again');
  t.equal(pickWorkerHost(['lab3', 'lab4'], [retiring('lab3'), working('lab3'), retiring('lab4')], []), 'lab4', 'the other retiring host');
});
