import t from 'tap';
import { endSentence, noWorkerCanCome, noWorkerMessage, type ClusterOutlook, type FailedStart } from '../../src/no-worker-coming.js';

/**
 * The rule every owner of a cluster ends on (gluon-cluster, gluon-h4l run, gluon-finalstates), as
 * a function of the cluster's state alone: no processes, no timers.
 */
const words = { prologueFlag: '--job-prologue' };
const job = (id: string, state?: string): FailedStart => ({ id, joined: false, ...(state ? { state } : {}), outputFile: `/logs/h4l-${id}.out` });
const session = (host: string, n: number, printed: string): FailedStart =>
  ({ id: `${host}-${n}`, joined: false, outputFile: `what its ssh session printed: ${printed}`, session: { host, printed } });
const lab3 = (n: number) => session('lab3', n, 'ssh: connect to host lab3 port 22: No route to host');
const lab4 = (n: number) => session('lab4', n, 'Warning: Permanently added lab4\nPermission denied (publickey).');
const batch = (o: Partial<ClusterOutlook>): ClusterOutlook => ({ kind: 'slurm', maxFailedJobs: 3, failedInARow: 0, failed: [], underWay: [], workers: 0, ...o });
/** Two worker hosts, lab3 and lab4, from neither of which a worker has joined yet. */
const ssh = (o: Partial<ClusterOutlook>): ClusterOutlook =>
  ({ kind: 'ssh', maxFailedJobs: 5, failedInARow: 0, failed: [], underWay: [], workers: 0, hosts: [{ host: 'lab3', workerJoined: false }, { host: 'lab4', workerJoined: false }], ...o });

t.test('a batch system: no worker can come once the cluster gave up (max_failed_jobs in a row) and none is connected', async (t) => {
  const two = [job('12_0', 'FAILED, exit code 127:0'), job('12_1')];
  t.equal(noWorkerCanCome(batch({})), undefined, 'nothing failed: jobs may still come');
  t.equal(noWorkerCanCome(batch({ failedInARow: 2, failed: two, underWay: [{ id: '12_2', state: 'pending' }] })), undefined, 'two of three failed: the cluster submits again');
  // A job on another node may work: a batch system's jobs have no "every host" rule.
  t.equal(noWorkerCanCome(batch({ failedInARow: 2, failed: two })), undefined, 'every job so far failed, but the cluster still submits');
  const three = [...two, job('12_2', 'FAILED, exit code 127:0')];
  const v = noWorkerCanCome(batch({ failedInARow: 3, failed: three, underWay: [{ id: '12_3', state: 'pending' }] }));
  t.same(v, { kind: 'slurm', rule: 'max-failed-jobs', maxFailedJobs: 3, failedInARow: 3, failed: three }, 'gave up: a job still pending is not waited for');
  t.equal(noWorkerCanCome(batch({ failedInARow: 3, failed: three, workers: 1 })), undefined, 'a worker connected goes on with the work');
  t.equal(noWorkerMessage(v!, 'ws://login1:8786', words),
    'no worker can come any more to the scheduler at ws://login1:8786: its slurm jobs keep ending before their worker joins (3 in a row, max_failed_jobs 3), so the cluster submits no more: '
    + 'job 12_0 (FAILED, exit code 127:0): read /logs/h4l-12_0.out; job 12_1: read /logs/h4l-12_1.out; job 12_2 (FAILED, exit code 127:0): read /logs/h4l-12_2.out. '
    + 'Fix what their output says (a --job-prologue line, node or gluon-worker missing on the nodes; --print-job-script shows the job script) and run again');
  const many = Array.from({ length: 7 }, (_, i) => job(`40_${i}`));
  const m = noWorkerMessage(noWorkerCanCome(batch({ kind: 'pbs', maxFailedJobs: 7, failedInARow: 7, failed: many }))!, 'ws://h:1', { prologueFlag: '--prologue' });
  t.match(m, /so the cluster submits no more: 2 earlier, then job 40_2: read \/logs\/h4l-40_2\.out; .*job 40_6: read \/logs\/h4l-40_6\.out\. Fix what their output says \(a --prologue line/, 'the last five named, the earlier counted; gluon-cluster\'s flag');
});

t.test('ssh: no worker can come once every host it runs sessions on has had one end before its worker joined, before max_failed_jobs', async (t) => {
  t.equal(noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab3(1)], underWay: [{ id: 'lab4-2', state: 'running', host: 'lab4' }] })), undefined,
    'lab4\'s first session is open: its worker may still join');
  // lab3 failed, then lab4; lab3's second session (a retry of the same command there) is open.
  const v = noWorkerCanCome(ssh({ failedInARow: 2, failed: [lab3(1), lab4(2)], underWay: [{ id: 'lab3-3', state: 'running', host: 'lab3' }] }));
  t.same(v, { kind: 'ssh', rule: 'every-host', maxFailedJobs: 5, failedInARow: 2, failed: [lab3(1), lab4(2)] }, 'every host failed: a retry on a failed host is not waited for');
  t.equal(noWorkerMessage(v!, 'wss://lab1:8786', words),
    'no worker can come any more to the scheduler at wss://lab1:8786: its ssh worker sessions on lab3, lab4 ended before a worker joined, on every host it runs on (a new session would run the same command on the same host): '
    + 'lab3: ssh: connect to host lab3 port 22: No route to host; lab4: Warning: Permanently added lab4 / Permission denied (publickey). '
    + 'Fix what each printed (the host\'s name or address, its sshd, your ssh key or --ssh-option; node or gluon-worker missing on the host) and run again');
  t.equal(noWorkerCanCome(ssh({ failedInARow: 2, failed: [lab3(1), lab4(2)], workers: 1 })), undefined, 'a worker connected (another host\'s, or one started by hand) goes on with the work');
  const one = noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab3(1)], hosts: [{ host: 'lab3', workerJoined: false }] }));
  t.equal(one?.rule, 'every-host', 'one worker host, its one session ended');
  t.match(noWorkerMessage(one!, 'wss://lab1:8786', words), /: its ssh worker session on lab3 ended before a worker joined, .*: lab3: ssh: connect to host lab3 port 22: No route to host\. Fix what it printed/);
  t.same(noWorkerCanCome(ssh({ failedInARow: 3, failed: [lab3(1), lab4(2), lab3(3)] }))?.failed, [lab4(2), lab3(3)], 'each host once, its latest failure, in the order they failed');
});

t.test('ssh: max_failed_jobs in a row ends it too, and a session open on a host that has not failed is not waited for then', async (t) => {
  const failed = [lab3(1), lab3(2)];
  const v = noWorkerCanCome(ssh({ maxFailedJobs: 2, failedInARow: 2, failed, underWay: [{ id: 'lab4-3', state: 'running', host: 'lab4' }] }));
  t.equal(v?.rule, 'max-failed-jobs');
  t.equal(noWorkerMessage(v!, 'wss://lab1:8786', words),
    'no worker can come any more to the scheduler at wss://lab1:8786: its ssh worker sessions keep ending before their worker joins (2 in a row, max_failed_jobs 2), so the cluster starts no more: '
    + 'lab3: ssh: connect to host lab3 port 22: No route to host. Fix what it printed (the host\'s name or address, its sshd, your ssh key or --ssh-option; node or gluon-worker missing on the host) and run again');
  t.equal(noWorkerCanCome(ssh({ failedInARow: 2, failed, underWay: [{ id: 'lab4-3', state: 'running', host: 'lab4' }] })), undefined, 'below max_failed_jobs, lab4 may still come');
});

t.test('ssh: a worker host that has not failed since a worker last joined may still bring one, with no session open there now', async (t) => {
  // scale(1) (or adapt down to 0): the sessions ran on lab3 only; lab4 was never tried, and the
  // cluster starts its next session there (pickWorkerHost), or when the target grows.
  t.equal(noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab3(1)] })), undefined, 'lab4 never tried, nothing open: not every host failed');
  t.equal(noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab3(1)], underWay: [{ id: 'lab3-2', state: 'running', host: 'lab3' }] })), undefined,
    'lab4 never tried, lab3\'s retry open: lab4 is still to come');
  // lab4's worker joined and then left (its session ended with it: a crash, the host rebooted, a
  // scale-down): the count was reset, and lab3 failed since. The same command brought a worker on lab4.
  const left = [{ host: 'lab3', workerJoined: false }, { host: 'lab4', workerJoined: true }];
  t.equal(noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab3(3)], hosts: left })), undefined, 'lab4\'s worker ran and left, no session open: lab4 may bring one again');
  t.equal(noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab3(3)], hosts: left, underWay: [{ id: 'lab3-4', state: 'running', host: 'lab3' }] })), undefined,
    'the same, lab3\'s retry open');
  // Its restart failed too (the host rebooting: sshd not up yet): a host where the command worked
  // is not taken as failed for good by one failed session; max_failed_jobs in a row decides.
  const reboot = session('lab4', 5, 'ssh: connect to host lab4 port 22: Connection refused');
  const both = [lab3(3), reboot];
  t.equal(noWorkerCanCome(ssh({ failedInARow: 2, failed: both, hosts: left, underWay: [{ id: 'lab4-6', state: 'running', host: 'lab4' }] })), undefined,
    'lab4 worked before its restart failed: its retry may bring a worker');
  t.equal(noWorkerCanCome(ssh({ failedInARow: 5, failed: [...both, lab3(6), lab3(7), lab3(8)], hosts: left }))?.rule, 'max-failed-jobs', 'then max_failed_jobs in a row ends it');
  t.equal(noWorkerCanCome(ssh({ failedInARow: 2, failed: both }))?.rule, 'every-host', 'neither host ever brought a worker: every host failed');
});

t.test('a message that quotes text ending in a full stop ends that sentence once', async (t) => {
  // Before: `Permission denied (publickey).. Fix what each printed` (ssh), and the same after a job's output file.
  t.equal(endSentence('lab3: ssh: connect to host lab3 port 22: No route to host'), 'lab3: ssh: connect to host lab3 port 22: No route to host.', 'none: one added');
  t.equal(endSentence('Host key verification failed.'), 'Host key verification failed.', 'a full stop: kept, none added');
  t.equal(endSentence('is this right?'), 'is this right?', 'a question mark ends it too');
  t.equal(endSentence('stop!'), 'stop!', 'so does an exclamation mark');
  t.equal(endSentence('and so on…'), 'and so on…', 'and an ellipsis');
  t.equal(endSentence('Permission denied (publickey).  '), 'Permission denied (publickey).', 'trailing blanks go first');
  t.equal(endSentence('(see the log.)'), '(see the log.).', 'a full stop inside brackets is the bracket\'s');
  t.equal(endSentence('v1.2'), 'v1.2.', 'a dot inside a word is not an end');
  t.equal(endSentence(''), '', 'nothing: nothing added');
  const oneHost = noWorkerMessage(noWorkerCanCome(ssh({ failedInARow: 1, failed: [lab4(1)], hosts: [{ host: 'lab4', workerJoined: false }] }))!, 'wss://lab1:8786', words);
  t.match(oneHost, /: lab4: Warning: Permanently added lab4 \/ Permission denied \(publickey\)\. Fix what it printed/, 'ssh: the quoted line\'s own full stop ends the sentence');
  t.notMatch(oneHost, /\.\./, 'never two');
  const ownFile = { ...job('12_0'), outputFile: '/logs/h4l-12_0.' };
  const batchMsg = noWorkerMessage(noWorkerCanCome(batch({ failedInARow: 3, failed: [ownFile, ownFile, ownFile] }))!, 'ws://login1:8786', words);
  t.match(batchMsg, /read \/logs\/h4l-12_0\. Fix what their output says/, 'a batch job\'s output file ending in a dot: no second one');
});
