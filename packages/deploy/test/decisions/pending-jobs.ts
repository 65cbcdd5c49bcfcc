import t from 'tap';
import { explainReason, NO_SLOT_WAITS, pendingNotice, type ListedJob, type PendingEpisode } from '../../src/pending-jobs.js';

/** Runs looks `[time, jobs]` through the rule; returns every line said, with the look's time. */
function looks(seq: [number, Record<string, ListedJob>][], afterMs = 30_000): [number, string][] {
  let ep: PendingEpisode | undefined;
  let waits = NO_SLOT_WAITS;
  const said: [number, string][] = [];
  for (const [now, jobs] of seq) {
    const r = pendingNotice('slurm', ep, new Map(Object.entries(jobs)), now, afterMs, waits);
    ep = r.episode;
    waits = r.waits;
    for (const l of r.lines) said.push([now, l]);
  }
  return said;
}
const pd = (reason?: string): ListedJob => ({ state: 'pending', ...(reason ? { reason } : {}) });
const run: ListedJob = { state: 'running' };
const retiring: ListedJob = { state: 'running', retiring: true };

/**
 * One lifetime's turn of `scale(1)` on a full queue, from `t0`: the worker of `old` retires, its
 * replacement `id` is submitted at once and pends for its slot until the retiree's job ends (at
 * +38 s), and starts 2 s later (+40 s, the next look) — as in .ci/run's slurm-replace.test (31–43 s).
 */
function replacement(t0: number, old: string, id: string): [number, Record<string, ListedJob>][] {
  const looksEvery2s: [number, Record<string, ListedJob>][] = [];
  for (let s = 0; s < 38; s += 2) looksEvery2s.push([t0 + s * 1000, { [old]: retiring, [id]: pd('Resources') }]);
  looksEvery2s.push([t0 + 38_000, { [id]: pd('Resources') }]);
  looksEvery2s.push([t0 + 40_000, { [id]: run }]);
  return looksEvery2s;
}

t.test('jobs pending past the bound: said once, naming them and the reason; once more when they start', async (t) => {
  const said = looks([
    [0, { '12_0': pd('Resources'), '12_1': pd('Resources') }],
    [29_000, { '12_0': pd('Resources'), '12_1': pd('Resources') }],
    [31_000, { '12_0': pd('Resources'), '12_1': pd('Resources') }],
    [33_000, { '12_0': pd('Resources'), '12_1': pd('Resources') }],
    [90_000, { '12_0': pd('Resources'), '12_1': pd('Resources') }],
    [95_000, { '12_0': run, '12_1': run }],
    [97_000, { '12_0': run, '12_1': run }],
  ]);
  t.same(said, [
    [31_000, 'slurm cluster: 2 job(s) pending for 31 s: 12_0, 12_1 (Resources: waiting for resources to become available)'],
    [95_000, 'slurm cluster: no job pending any more after 95 s; started: 12_0, 12_1'],
  ]);
});

t.test('pending for less than the bound: nothing said', async (t) => {
  t.same(looks([[0, { 7: pd('Priority') }], [20_000, { 7: pd('Priority') }], [22_000, { 7: run }], [80_000, { 7: run }]]), []);
  t.same(looks([[0, {}], [100_000, {}]]), [], 'no job at all: nothing');
});

t.test('a changed reason is said again; the same reason with a new job is not', async (t) => {
  const said = looks([
    [0, { 5: pd('Priority') }],
    [30_000, { 5: pd('Priority') }],
    [32_000, { 5: pd('Priority'), 6: pd('Priority') }],
    [40_000, { 5: pd('Resources'), 6: pd('Priority') }],
    [42_000, { 5: run, 6: pd('Priority') }],
  ]);
  t.same(said.map(([n, l]) => [n, l]), [
    [30_000, 'slurm cluster: 1 job(s) pending for 30 s: 5 (Priority: jobs of higher priority are queued ahead)'],
    [40_000, 'slurm cluster: 2 job(s) pending for 40 s: 5 (Resources: waiting for resources to become available); 6 (Priority: jobs of higher priority are queued ahead)'],
    [42_000, 'slurm cluster: 1 job(s) pending for 42 s: 6 (Priority: jobs of higher priority are queued ahead)'],
  ]);
});

t.test('jobs that leave the queue without starting; a new episode is timed afresh; no reason (PBS)', async (t) => {
  const said = looks([
    [0, { '1.pbs': pd(), '2.pbs': pd() }],
    [10_000, { '1.pbs': pd(), '2.pbs': pd() }],
    [12_000, { '1.pbs': run }],
    [20_000, { '1.pbs': run, '3.pbs': pd() }],
    [45_000, { '1.pbs': run, '3.pbs': pd() }],
    [50_000, { '1.pbs': run, '3.pbs': pd() }],
  ], 10_000);
  t.same(said, [
    [10_000, 'slurm cluster: 2 job(s) pending for 10 s: 1.pbs, 2.pbs'],
    [12_000, 'slurm cluster: no job pending any more after 12 s; started: 1.pbs; 1 left the queue without starting'],
    [45_000, 'slurm cluster: 1 job(s) pending for 25 s: 3.pbs'],
  ]);
});

t.test('Infinity never says; 0 says at the first look', async (t) => {
  t.same(looks([[0, { 1: pd('Resources') }], [1e9, { 1: pd('Resources') }]], Infinity), []);
  t.same(looks([[5, { 1: pd('JobHeldUser') }]], 0), [[5, 'slurm cluster: 1 job(s) pending for 0 s: 1 (JobHeldUser: held by the user (scontrol release))']]);
});

t.test('reasons: known codes explained, others as the batch system gives them', async (t) => {
  t.equal(explainReason('QOSMaxJobsPerUserLimit'), 'QOSMaxJobsPerUserLimit: the QOS limit on jobs per user is reached');
  t.equal(explainReason('ReqNodeNotAvail, UnavailableNodes:n1'), 'ReqNodeNotAvail, UnavailableNodes:n1: a node the job needs is not available (down, drained or reserved)');
  t.equal(explainReason('AssocGrpCPUMinutesLimit'), 'AssocGrpCPUMinutesLimit');
  t.equal(explainReason('constructor'), 'constructor');
});

t.test('a reason with a line break and a terminal escape is said escaped: no forged line, no escape reaches the terminal', async (t) => {
  // PBS's comment (qalter -W comment=…) and similar reasons are set by job owners.
  const reason = 'Priority\n2026-12-04T10:00:00Z slurm cluster: all workers ready\u001b[2J\u001b]0;owned\u0007';
  const said = looks([[0, { 5: pd(reason) }], [31_000, { 5: pd(reason) }]]);
  t.equal(said.length, 1);
  const line = said[0]![1];
  t.notMatch(line, /[\u0000-\u0009\u000b-\u001f\u007f]/, 'no control character but line breaks');
  t.notMatch(line, /\n(?! {4})/, 'every line break is a continuation, never a line of its own');
  t.match(line, /\(Priority\n {4}2026-12-04T10:00:00Z slurm cluster: all workers ready\\u001b\[2J\\u001b\]0;owned\\u0007/, 'the reason is all there, escaped');
});

t.test('replacements waiting for a retiring job\'s slot: not announced each time, folded into one line now and then', async (t) => {
  // Four lifetimes of a 1-job cluster, 3 min apart: each replacement waited 40 s.
  const seq = [0, 1, 2, 3].flatMap((i) => replacement(i * 180_000, `${188 + i}`, `${189 + i}`));
  // Before: two lines per turn, "1 job(s) pending for 30 s: 189 (Resources: …)" and "no job pending any more after 40 s".
  t.same(looks(seq), [
    [40_000, 'slurm cluster: a replacement job waited 40 s in the queue for the slot of a retiring worker\'s job; such waits are expected, and said at most once every 10 min'],
  ], 'the first wait is said once, as it ends; the next three within 10 min are counted');
  const later = [...seq, ...replacement(700_000, '200', '201')];
  t.same(looks(later).slice(1), [
    [740_000, 'slurm cluster: 4 replacement jobs waited (the longest 40 s) in the queue for the slot of a retiring worker\'s job since 12 min ago'],
  ], 'after 10 min, one line with the count of the waits since');
});

t.test('a slot wait that goes on once the slot is free, or more pending jobs than retiring ones: said as any pending job', async (t) => {
  // The retiree's job ends at 20 s, and the replacement still pends 30 s later (someone else took the slot).
  const stuck: [number, Record<string, ListedJob>][] = [[0, { 1: retiring, 2: pd('Resources') }], [20_000, { 2: pd('Resources') }], [48_000, { 2: pd('Resources') }], [52_000, { 2: pd('Resources') }]];
  t.same(looks(stuck), [[52_000, 'slurm cluster: 1 job(s) pending for 52 s: 2 (Resources: waiting for resources to become available)']],
    'announced once the freed slot has gone unused for the bound, timed from the start');
  // Two pending for one retiring job: one of them is not waiting for a retiree.
  const two: [number, Record<string, ListedJob>][] = [[0, { 1: retiring, 2: pd('Resources'), 3: pd('Resources') }], [31_000, { 1: retiring, 2: pd('Resources'), 3: pd('Resources') }]];
  t.same(looks(two), [[31_000, 'slurm cluster: 2 job(s) pending for 31 s: 2, 3 (Resources: waiting for resources to become available)']]);
  // A wait shorter than the bound is neither said nor counted.
  t.same(looks([[0, { 1: retiring, 2: pd('Resources') }], [10_000, { 2: run }]]), []);
});
