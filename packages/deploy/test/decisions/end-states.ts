import t from 'tap';
import { END_STATE_QUERIES, endStatesWanted, mapBounded } from '../../src/end-states.js';
import { MAX_VIEW_ROWS } from '../../src/job-view.js';

/**
 * Which ended jobs a look asks the batch system about, and a few at a time (end-states.ts);
 * pbs-ended-together.test has a real cluster ask the stand-in qstat.
 */

const ended = (joined: boolean[]) => joined.map((j) => ({ joined: j }));

t.test('every job whose worker never joined is asked about: it is judged', async (t) => {
  const jobs = ended(Array.from({ length: 3 * MAX_VIEW_ROWS }, () => false));
  t.same(endStatesWanted(jobs, MAX_VIEW_ROWS), jobs.map(() => true), 'all of them, with the view full of live jobs');
});

t.test('of the joined ones, only those the dashboard\'s view can show: the newest, MAX_VIEW_ROWS less the live jobs', async (t) => {
  // A farm's walltime: 250 joined jobs end in one look, 30 still listed.
  const jobs = ended(Array.from({ length: 250 }, () => true));
  const wanted = endStatesWanted(jobs, 30);
  t.equal(wanted.filter(Boolean).length, MAX_VIEW_ROWS - 30, 'as many as the rows left');
  t.same(wanted.indexOf(true), 250 - (MAX_VIEW_ROWS - 30), 'the last found (shown newest first)');
  t.same(endStatesWanted(ended([true, true]), 5), [true, true], 'a few: all shown, all asked');
  t.same(endStatesWanted(ended([true, false, true]), MAX_VIEW_ROWS), [false, true, false], 'no room: only the one never joined');
  t.same(endStatesWanted(ended([true, true]), MAX_VIEW_ROWS + 10), [false, false], 'more live jobs than rows');
  t.same(endStatesWanted([], 0), []);
});

t.test('mapBounded: at most `limit` calls under way, the next started as one ends, results in order', async (t) => {
  const calls: { item: number; resolve: (v: string) => void }[] = [];
  const done = mapBounded([0, 1, 2, 3, 4, 5], END_STATE_QUERIES, (item) => new Promise<string>((resolve) => calls.push({ item, resolve })));
  const settle = () => new Promise((r) => setImmediate(r));
  await settle();
  t.same(calls.map((c) => c.item), [0, 1, 2, 3], `${END_STATE_QUERIES} started at once, in order`);
  calls[2]!.resolve('c');
  await settle();
  t.same(calls.map((c) => c.item), [0, 1, 2, 3, 4], 'one ended, one more started');
  await settle();
  t.equal(calls.length, 5, 'and no other');
  for (const [i, c] of calls.entries()) if (i !== 2) c.resolve('abcdef'[c.item]!);
  await settle();
  calls[5]!.resolve('f');
  t.same(await done, ['a', 'b', 'c', 'd', 'e', 'f'], 'results in the items\' order');
  t.same(await mapBounded([], 4, async () => 1), [], 'no items: nothing called');
  t.same(await mapBounded([1, 2], 8, async (x) => x * 2), [2, 4], 'fewer items than the limit');
  await t.rejects(mapBounded([1], 0, async (x) => x), { message: 'mapBounded: limit must be an integer ≥ 1, got 0' });
});
