/**
 * metadataTimeoutMs counts the time the process could run (src/running-timeout.ts): a process
 * starved past the limit (a batch node loaded far past its cores) still reads a good file. With a
 * wall-clock limit the late timer ran before the I/O that had finished meanwhile, and the file was
 * called "damaged metadata?" (seen: a Slurm run at load 80 skipped a good data file as bad input).
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { HttpSource, openRootFile } from '@gluon/rootio';
import { answer, scripted } from './range-server.js';
import { runningTimeout, type TimerClock } from '../src/running-timeout.js';

const path = fileURLToPath(new URL('fixtures/skhep/uproot-small-dy-withoffsets.root', import.meta.url));

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

/** Holds this thread for `ms`, as a starved process is held: its timers and I/O wait meanwhile. */
const starve = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** From a timer's callback, so the I/O that finishes while starved is handled before the next timers run. */
const fromTimer = <T>(fn: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => fn().then(resolve, reject), 0));

t.test('a process starved longer than metadataTimeoutMs opens a good local file and reads its tree', async (t) => {
  const f = await fromTimer(() => {
    const opening = openRootFile(path, { metadataTimeoutMs: 500 });
    starve(3000);
    return opening;
  });
  t.teardown(() => f.close());
  const name = f.keys().find((k) => k.className === 'TTree')!.name;
  const tree = await fromTimer(() => {
    const reading = f.tree(name);
    starve(3000);
    return reading;
  });
  t.ok(tree.branches.length > 0, `tree ${name} read after 3 s of starvation (limit 500 ms): ${tree.branches.length} branches`);
});

// http.timeoutMs too (abort.ts): on wall-clock time the late timer ran before the answer's I/O,
// and an answer that had come at once was "no answer to bytes=0-0 within 100 ms".
t.test('an HTTP request answered while the process is starved past http.timeoutMs is taken, not timed out', async (t) => {
  const { url } = await scripted(t, (_n, req, res) => {
    starve(400);
    answer(bytes, req, res);
  });
  const src = await HttpSource.open(url, { timeoutMs: 100, retries: 1 });
  t.teardown(() => src.close());
  t.equal(src.size, bytes.length, 'opened after 400 ms of starvation (time-out 100 ms, one attempt)');
});

t.test('runningTimeout: a late tick counts as at most two; the limit still comes while the process runs', async (t) => {
  let fired = false;
  const cancel = runningTimeout(200, () => { fired = true; });
  t.teardown(cancel);
  starve(1000);
  // The timers due during the starvation have run once this timer's callback does.
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setImmediate(r));
  t.notOk(fired, '1 s of starvation did not use up a 200 ms limit');
  // The rest of the limit passes while the process runs freely: it comes (bounded by tap's timeout).
  await new Promise<void>((resolve) => { const check = () => (fired ? resolve() : setTimeout(check, 20)); check(); });
  t.ok(fired, 'the limit came once the process had run for it');
});

/**
 * A clock the test moves by hand, in turns of the event loop: a turn runs the timers due first,
 * then the `soon` callbacks. `run(ms)` moves it on by `ms`, turn by turn, so whatever a limit would
 * do in that time it has done when `run` returns; `timersOnly()` runs the next turn's timers and
 * leaves its `soon` callbacks queued; `pending` counts what is still set.
 */
function handClock() {
  let time = 0;
  let timers: Array<{ at: number; fn: () => void }> = [];
  let soon: Array<() => void> = [];
  const runSoon = () => {
    const turn = soon;
    soon = [];
    for (const fn of turn) fn();
  };
  const clock: TimerClock & { run(ms: number): void; timersOnly(): void; pending(): number } = {
    now: () => time,
    after(ms, fn) {
      const timer = { at: time + ms, fn };
      timers.push(timer);
      return () => { timers = timers.filter((x) => x !== timer); };
    },
    soon(fn) {
      soon.push(fn);
      return () => { soon = soon.filter((x) => x !== fn); };
    },
    timersOnly() {
      const at = Math.min(...timers.map((x) => x.at));
      const due = timers.filter((x) => x.at === at);
      timers = timers.filter((x) => x.at !== at);
      time = Math.max(time, at);
      for (const x of due) x.fn();
    },
    run(ms) {
      const end = time + ms;
      runSoon();
      while (timers.some((x) => x.at <= end)) {
        clock.timersOnly();
        runSoon();
      }
      time = end;
    },
    pending: () => timers.length + soon.length,
  };
  return clock;
}

t.test('runningTimeout on a hand-moved clock: the limit comes at its time, not before', async (t) => {
  const clock = handClock();
  let fired = 0;
  runningTimeout(20, () => fired++, clock);
  clock.run(19);
  t.equal(fired, 0, 'not before 20 ms');
  clock.run(1);
  t.equal(fired, 1, 'at 20 ms, once');
  t.equal(clock.pending(), 0, 'and nothing of it is left set');
});

t.test('runningTimeout: cancelled, it never calls back', async (t) => {
  const clock = handClock();
  let fired = false;
  const cancel = runningTimeout(20, () => { fired = true; }, clock);
  clock.run(10);
  cancel();
  t.equal(clock.pending(), 0, 'nothing of it is left set');
  clock.run(1000);
  t.notOk(fired, 'not called back in 1 s, fifty times its limit');
});

t.test('runningTimeout: cancelled after its limit was reached but before its callback ran, it never calls back', async (t) => {
  const clock = handClock();
  let fired = false;
  const cancel = runningTimeout(20, () => { fired = true; }, clock);
  clock.run(19);
  // The last tick, at 20 ms: the limit is reached, and its callback waits for the next turn (for
  // I/O that came with the tick).
  clock.timersOnly();
  t.equal(clock.now(), 20);
  t.ok(!fired && clock.pending() === 1, 'its callback is queued, still to come');
  cancel();
  t.equal(clock.pending(), 0, 'nothing of it is left set');
  clock.run(1000);
  t.notOk(fired, 'not called back');
});
