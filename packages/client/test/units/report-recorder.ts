/**
 * The performance report's recorder on its own: what it keeps of the dashboard's feed and how it
 * stays within its bounds (task-stream sampling, latest value per topic, restart past the byte
 * bound), with made-up feed messages.
 */
import t from 'tap';
import { FeedRecorder } from '@gluon/client';

const T0 = 1_000_000;
const state = (time: number, extra: Record<string, unknown> = {}) => ({ type: 'state', time, stream: [], rates: [], topics: {}, ...extra });
const delta = (time: number, extra: Record<string, unknown> = {}) => ({ type: 'delta', time, stream: [], topics: {}, rate: [time, 0, 0], ...extra });
/** `n` task bars finishing at `time`, numbered from `first` (the number goes in the thread field). */
const barsAt = (time: number, first: number, n: number) => Array.from({ length: n }, (_, i) => ['w', first + i, 'g', time - 10, time, 0]);

t.test('the window only: bars and rates from before the first state are left out', async (t) => {
  const r = new FeedRecorder();
  r.add(state(T0, { stream: [['w', 0, 'old', T0 - 5000, T0 - 4000, 0], ['w', 0, 'edge', T0 - 10, T0, 0]], rates: [[T0 - 250, 5, 0], [T0, 7, 0]], streamDropped: 10 }));
  r.add(delta(T0 + 250, { stream: barsAt(T0 + 250, 0, 3), streamDropped: 25 }));
  const rec = r.recording('x', 'ws://s');
  t.same(rec.messages[0]!.stream, [['w', 0, 'edge', T0 - 10, T0, 0]]);
  t.same(rec.messages[0]!.rates, [[T0, 7, 0]]);
  t.same([rec.start, rec.end], [T0, T0 + 250]);
  t.same([rec.bounds.barsSeen, rec.bounds.barsKept, rec.bounds.restartedAt], [3, 4, null]);
  t.equal(rec.bounds.feedDropped, 15, 'bars the feed itself sampled away during the window (not before it)');
});

t.test('past maxBars: a uniform sample of the whole window, never more than the bound', async (t) => {
  const r = new FeedRecorder({ maxBars: 5000 });
  r.add(state(T0));
  const pushes = 100;
  for (let i = 1; i <= pushes; i++) r.add(delta(T0 + i * 250, { stream: barsAt(T0 + i * 250, (i - 1) * 1000, 1000) }));
  const rec = r.recording('x', 'ws://s');
  const kept = rec.messages.flatMap((m) => (m.stream as unknown[][]) ?? []);
  t.equal(rec.bounds.barsSeen, 100_000);
  t.equal(rec.bounds.barsKept, kept.length);
  t.ok(kept.length <= 5000 && kept.length >= 2500, `${kept.length} bars kept of 100,000 (bound 5,000)`);
  // Uniform: every push keeps about the same share, the first as much as the last.
  const perPush = rec.messages.slice(1).map((m) => (m.stream as unknown[]).length);
  t.ok(Math.max(...perPush) - Math.min(...perPush) <= 1, `the same number of bars from every push: ${Math.min(...perPush)}–${Math.max(...perPush)}`);
  const ids = kept.map((b) => b[1] as number);
  t.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'kept in order');
  t.ok(ids[0]! < 1000 && ids[ids.length - 1]! >= 99_000, 'from the window\'s start to its end');
});

t.test('published values: only each topic\'s latest value is kept', async (t) => {
  const r = new FeedRecorder();
  r.add(state(T0, { topics: { a: { value: 1, time: T0, count: 1 } } }));
  r.add(delta(T0 + 250, { topics: { a: { value: 2, time: T0 + 1, count: 2 }, b: { value: 'x', time: T0 + 1, count: 1 } } }));
  r.add(delta(T0 + 500, { topics: { a: { value: 3, time: T0 + 2, count: 3 } } }));
  const rec = r.recording('x', 'ws://s');
  t.same(rec.messages.map((m) => Object.keys(m.topics as object)), [[], ['b'], ['a']]);
  t.equal((rec.messages[2]!.topics as any).a.value, 3);
});

t.test('past maxBytes: the recorder asks for a fresh state and restarts from it', async (t) => {
  const r = new FeedRecorder({ maxBytes: 10_000 });
  r.add(state(T0));
  let i = 0;
  while (!r.needsRestart && i < 1000) r.add(delta(T0 + ++i * 250, { log: [{ time: T0, kind: 'info', text: 'x'.repeat(200) }] }));
  t.ok(r.needsRestart, `over 10,000 bytes after ${i} deltas`);
  const fresh = T0 + (i + 1) * 250;
  r.restart(state(fresh, { stream: [['w', 0, 'g', T0 + 100, T0 + 200, 0], ['w', 0, 'g', T0 - 200, T0 - 100, 0]] }));
  t.notOk(r.needsRestart);
  t.equal(r.length, 1, 'everything before the fresh state is dropped');
  const rec = r.recording('x', 'ws://s');
  t.same([rec.start, rec.end, rec.bounds.restartedAt], [T0, fresh, fresh], 'the window still starts where it started; the restart is noted');
  t.equal((rec.messages[0]!.stream as unknown[]).length, 1, 'the fresh state\'s bars from before the window are left out');
});

t.test('a fresh state bigger than the bound on its own, whatever its bars, is taken as it is', async (t) => {
  const r = new FeedRecorder({ maxBytes: 1000 });
  r.add(state(T0));
  for (let i = 1; i <= 20; i++) r.add(delta(T0 + i * 250, { log: [{ time: T0, kind: 'info', text: 'x'.repeat(100) }] }));
  t.ok(r.needsRestart);
  for (const n of [0, 1, 2, 3]) {
    r.restart(state(T0 + 6000, { stream: barsAt(T0 + 5000, 0, n), log: [{ time: T0, kind: 'info', text: 'y'.repeat(2000) }] }));
    t.equal(r.length, 1, `restarted from a state with ${n} bar(s) and 2 kB of log (a bound of 1 kB)`);
  }
});

t.test('bad limits and a feed without a state are refused by name', async (t) => {
  t.throws(() => new FeedRecorder({ maxBars: 0 }), /limits\.maxBars must be a positive integer, got 0/);
  t.throws(() => new FeedRecorder({ maxBytes: 1.5 }), /limits\.maxBytes must be a positive integer, got 1\.5/);
  const r = new FeedRecorder();
  r.add(delta(T0));
  t.throws(() => r.recording('x', 'ws://s'), /the dashboard sent no state to record/);
});

t.test('while a restart is pending, deltas are kept with their bars sampled: the recording stays under 1.5× its byte bound', async (t) => {
  const r = new FeedRecorder({ maxBytes: 30_000 });
  r.add(state(T0));
  let pendingSince = 0;
  // The fresh feed's state never comes (a loaded machine): 200 deltas of 20 bars each, ~100 kB.
  for (let i = 1; i <= 200; i++) {
    r.add(delta(T0 + i * 250, { stream: barsAt(T0 + i * 250, i * 20, 20) }));
    if (r.needsRestart && !pendingSince) pendingSince = i;
  }
  t.ok(pendingSince > 0, `past the bound after ${pendingSince} deltas: a restart is asked for`);
  t.ok(r.needsRestart, 'and still is');
  const rec = r.recording('x', 'ws://s');
  const bytes = JSON.stringify(rec.messages).length;
  t.ok(bytes < 1.5 * 30_000 + 2_000, `${bytes} bytes recorded (bound 30,000)`);
  t.equal(rec.messages.length, 201, 'every delta is kept (its rates and the rest), only bars are sampled');
  t.equal(rec.end, T0 + 200 * 250, 'up to the last');
});

t.test('a slow restart: what a pending restart lets past 1.5× is the deltas\' non-bar content only, and the fresh state ends it', async (t) => {
  // The end-to-end run cannot say how long the fresh feed takes to connect on a loaded machine;
  // here the restart is as slow as we like: 100 deltas, each with bars and ~1 kB of log, arrive first.
  const bound = 30_000;
  const r = new FeedRecorder({ maxBytes: bound });
  r.add(state(T0));
  let i = 0;
  while (!r.needsRestart) {
    i++;
    r.add(delta(T0 + i * 250, { stream: barsAt(T0 + i * 250, i * 20, 20) }));
  }
  let nonBar = 0;
  for (let k = 1; k <= 100; k++) {
    const time = T0 + (i + k) * 250;
    const d = delta(time, { stream: barsAt(time, (i + k) * 20, 20), log: [{ time, kind: 'info', text: 'z'.repeat(1000) }] });
    nonBar += JSON.stringify({ ...d, stream: [] }).length;
    r.add(d);
  }
  const pending = JSON.stringify(r.recording('x', 'ws://s').messages).length;
  t.ok(pending > 1.5 * bound, `the pending restart's non-bar content is not bounded: ${pending} bytes (bound ${bound})`);
  t.ok(pending < 1.5 * bound + nonBar, `beyond 1.5× the bound only by it: ${pending} < ${1.5 * bound} + ${nonBar}`);
  const rec = r.recording('x', 'ws://s');
  t.ok(rec.bounds.barsKept < 200, `the bars are sampled meanwhile (${rec.bounds.barsKept} kept of ${rec.bounds.barsSeen})`);

  const fresh = T0 + (i + 101) * 250;
  r.restart(state(fresh, { stream: barsAt(fresh, 0, 2000) }));
  const after = JSON.stringify(r.recording('x', 'ws://s').messages).length;
  t.ok(after <= bound / 2, `the fresh state, its bars thinned, is at most half the bound: ${after} bytes`);
  t.notOk(r.needsRestart, 'and no further restart is asked for');
});
