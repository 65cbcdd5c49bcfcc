/**
 * The thread pool on real worker_threads: results, errors with their remote stacks, typed
 * arrays, the task context, and a task that ends its thread.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { restoreThreadNursery, ThreadPool, substitute, WORKER_V8_FLAGS, type PoolResult } from '@gluon/worker';
import { until } from '../../../../test/helpers/until.js';

const url = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/tasks.mjs')).href;
const published: Array<[string, unknown]> = [];
const pool = new ThreadPool(2, 'pool-test', (topic, value) => published.push([topic, value]));
t.teardown(() => pool.close());

const run = (exportName: string, args: unknown[], data: Record<string, unknown> = {}, key = `${exportName}-1`) =>
  pool.run({ key, url, exportName, args, data });
function ok(t: { fail(message: string): unknown }, r: PoolResult): unknown {
  if (!r.ok) t.fail(`task failed: ${r.error.stack}`);
  return r.ok ? r.value : undefined;
}

t.test('sync and async tasks return their values', async (t) => {
  t.equal(ok(t, await run('inc', [41])), 42);
  t.equal(ok(t, await run('addLater', [2, 3])), 5);
  const many = await Promise.all(Array.from({ length: 200 }, (_, i) => run('inc', [i], {}, `inc-${i}`)));
  t.same(many.map((r) => ok(t, r)), Array.from({ length: 200 }, (_, i) => i + 1), '200 tasks through 2 threads, all in order of key');
  t.equal(pool.executing, 0);
});

t.test('exceptions come back with name, message and the stack from the thread', async (t) => {
  const r = await run('explode', ['here']);
  t.equal(r.ok, false);
  if (r.ok) return;
  t.equal(r.error.name, 'RangeError');
  t.equal(r.error.message, 'boom: here');
  t.match(r.error.stack, /at explode \(.*fixtures\/tasks\.mjs/);
  t.equal(r.died, false);
  const a = await run('rejectLater', ['later']);
  t.match(a, { ok: false, error: { name: 'TypeError', message: 'async boom: later' } });
});

t.test('a thrown value that is not an Error is said as such and shown, with no stack of the worker\'s own', async (t) => {
  // It was "Error: [object Object]" for an object, and every one got a stack of thread.js's frames.
  const cases: Array<[unknown, string]> = [
    ['just a string', "the task threw a string, not an Error: 'just a string'"],
    [{ code: 42, where: { file: 'a.log' } }, "the task threw an object, not an Error: { code: 42, where: { file: 'a.log' } }"],
    [[1, 'two'], "the task threw an array, not an Error: [ 1, 'two' ]"],
    [7, 'the task threw a number, not an Error: 7'],
    [undefined, 'the task threw undefined, not an Error: undefined'],
    [null, 'the task threw null, not an Error: null'],
  ];
  for (const [i, [value, message]] of cases.entries()) {
    for (const fn of ['throwValue', 'rejectValue']) {
      const r = await run(fn, [value], {}, `${fn}-v${i}`);
      t.match(r, { ok: false, error: { name: 'Error', message } }, `${fn}(${String(value)})`);
      if (!r.ok) {
        t.equal(r.error.stack.split('\n')[0], `Error: ${message}`);
        t.notMatch(r.error.stack, /thread\.js|thread\.ts/, 'no frame of the worker\'s own');
      }
    }
  }
  const long = await run('throwValue', ['x'.repeat(5000)], {}, 'throwValue-long');
  t.ok(!long.ok && long.error.message.length < 600, 'a long value is cut');
});

t.test('an error\'s cause and an AggregateError\'s errors follow its stack', async (t) => {
  // Found by the data-engineer trial: new Error('row 7 …', { cause }) lost the JSON parser's words.
  const r = await run('throwWithCause', ['{"qty": 2,']);
  t.match(r, { ok: false, error: { name: 'Error', message: 'row 7 is not a record' } });
  if (!r.ok) {
    const [own, cause] = r.error.stack.split('\nCaused by: ');
    t.match(own, /^Error: row 7 is not a record\n\s+at throwWithCause \(.*fixtures\/tasks\.mjs/);
    t.match(cause, /^SyntaxError: .*JSON.*\n\s+at JSON\.parse/, 'the cause with its own stack');
  }
  const a = await run('throwAggregate', []);
  t.match(a, { ok: false, error: { name: 'AggregateError', message: '2 bad rows' } });
  if (!a.ok) {
    const lines = a.error.stack.split('\n').filter((l) => !/^\s+at /.test(l));
    t.same(lines, ['AggregateError: 2 bad rows', '  errors[0]: TypeError: qty is "two"', '  errors[1]: RangeError: qty -1 below 0', '    Caused by: { row: 2 } (not an Error)']);
  }
  const c = await run('throwCycle', []);
  t.match(c, { ok: false, error: { stack: /^Error: its own cause\n[^]*\nCaused by: \(an error shown above\)$/ } });
});

t.test('a package a task module imports and cannot find: where Node looked, and where the worker has it', async (t) => {
  // Found by the data-engineer trial: a task module kept apart from the install holding
  // @gluon/client failed with Node's bare "Cannot find package '@gluon/client' imported from
  // …", which read as if the worker lacked it.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-apart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'apart.mjs'), "import { taskContext } from '@gluon/protocol';\nexport const f = () => typeof taskContext;\n");
  writeFileSync(join(dir, 'nowhere.mjs'), "import 'gluon-no-such-package';\nexport const f = () => 1;\n");
  const apart = await pool.run({ key: 'apart-1', url: pathToFileURL(join(dir, 'apart.mjs')).href, exportName: 'f', args: [], data: {} });
  const installed = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'node_modules', '@gluon', 'protocol');
  t.match(apart, { ok: false, error: { code: 'ERR_MODULE_NOT_FOUND', message: `Cannot find package '@gluon/protocol' imported from ${join(dir, 'apart.mjs')}: a task module's imports are looked up from its own directory (${dir}) and those above it, not from where the worker is installed, which has it (${installed}): install it there too (npm install in ${dir} or a directory above it), or keep the module under ${dirname(dirname(dirname(installed)))}` } });
  if (!apart.ok) t.match(apart.error.stack, /^Error \[ERR_MODULE_NOT_FOUND\]: Cannot find package '@gluon\/protocol' imported from \S+: a task module's imports are looked up/);
  const nowhere = await pool.run({ key: 'nowhere-1', url: pathToFileURL(join(dir, 'nowhere.mjs')).href, exportName: 'f', args: [], data: {} });
  t.match(nowhere, { ok: false, error: { message: `Cannot find package 'gluon-no-such-package' imported from ${join(dir, 'nowhere.mjs')}: a task module's imports are looked up from its own directory (${dir}) and those above it, not from where the worker is installed: install gluon-no-such-package there (npm install in ${dir} or a directory above it)` } });
});

t.test('a missing export or a module that fails to load is a task error, not a crash', async (t) => {
  t.match(await run('nope', []), { ok: false, error: { name: 'TypeError', message: /has no exported function "nope"/ } });
  // An export that is not a function is named as what it is (found by the new-user trial: the
  // message said it had no such export and listed it among its exports).
  const notFn = await run('notAFunction', []);
  t.match(notFn, { ok: false, error: { name: 'TypeError', message: /^module file:\S+fixtures\/tasks\.mjs exports "notAFunction", but it is a number \(42\), not a function; a task names an exported function$/ } });
  const bad = await pool.run({ key: 'x-1', url: pathToFileURL('/nonexistent/gluon/mod.mjs').href, exportName: 'f', args: [], data: {} });
  t.match(bad, { ok: false, error: { message: /Cannot find module/ } });
  t.equal(ok(t, await run('inc', [1])), 2, 'the pool still works');
});

t.test('typed arrays travel both ways as typed arrays; dependency refs are substituted', async (t) => {
  const arr = ok(t, await run('ramp', [1000, 2])) as Float64Array;
  t.ok(arr instanceof Float64Array);
  t.equal(arr.length, 1000);
  t.equal(arr[999], 1998);
  t.equal(ok(t, await run('sum', [{ __gluonRef: 'ramp-1' }], { 'ramp-1': arr })), 999 * 1000);
  t.equal(arr.length, 1000, 'the stored value is copied to the thread, not detached');
  const v = ok(t, await run('nested', [{ xs: [{ __gluonRef: 'a' }, 2], y: { z: { __gluonRef: 'b' } } }], { a: 1, b: 3 }));
  t.equal(v, 6);
});

t.test('the task context names the task and carries publish and report', async (t) => {
  const r = await run('context', [], {}, 'context-7');
  t.same(ok(t, r), { key: 'context-7', worker: 'pool-test' });
  t.equal(r.ok && r.events, 12, 'reported events add up');
  t.same(published.at(-1), ['progress', { from: 'context-7' }]);
});

t.test('process.exit in a task fails that task as worker-died; the thread is replaced', async (t) => {
  const slow = run('sleep', [200, 'survivor'], {}, 'sleep-1');
  const r = await run('exitNow', [3]);
  t.match(r, { ok: false, died: true, error: { name: 'WorkerThreadDied', message: /exit code 3/ } });
  t.equal(ok(t, await slow), 'survivor', 'a task on the other thread is unaffected');
  const after = await Promise.all([run('inc', [1], {}, 'a-1'), run('inc', [2], {}, 'a-2'), run('inc', [3], {}, 'a-3')]);
  t.same(after.map((x) => ok(t, x)), [2, 3, 4], 'both threads work afterwards');
});

t.test('substitute leaves args alone without dependencies and names a missing one', async (t) => {
  const args = [{ __gluonRef: 'k' }];
  t.equal(substitute(args, {}), args);
  t.throws(() => substitute([{ __gluonRef: 'k' }], { other: 1 }), /dependency k was not delivered/);
  const f64 = new Float64Array([1]);
  t.equal((substitute([f64], { k: 1 }) as unknown[])[0], f64, 'typed arrays pass through');
});

t.test('many short tasks: batched dispatch loses and reorders nothing', async (t) => {
  const n = 3000;
  const rs = await Promise.all(Array.from({ length: n }, (_, i) => run('inc', [i], {}, `burst-${i}`)));
  let wrong = 0;
  for (let i = 0; i < n; i++) if (!rs[i]!.ok || (rs[i] as { value: number }).value !== i + 1) wrong++;
  t.equal(wrong, 0);
  // How deep a thread's queue is follows the recent mean task time by the clock, and on a loaded
  // machine a thread descheduled in the middle of one of the last short tasks made that task read
  // as tens of ms, which kept the queue shallow for the next few dozen: the check read it then
  // and failed. Short tasks are run until the queue deepens, a bound away from never.
  for (let round = 0; round < 50 && pool.capacity <= pool.size * 2; round++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => run('inc', [i], {}, `deepen-${round}-${i}`)));
  }
  t.ok(pool.capacity > pool.size * 2, 'short tasks deepen the per-thread queue');
});

t.test('long tasks: one per thread, so the rest stay with the worker (where they can be stolen)', async (t) => {
  // Enough 40 ms tasks to pull the running mean over the long-task line, whatever came before.
  for (let round = 0; round < 4; round++) {
    const rs = await Promise.all(Array.from({ length: 4 }, (_, i) => run('sleep', [40, i], {}, `long-${round}-${i}`)));
    t.ok(rs.every((r) => r.ok), `round ${round} ran`);
  }
  t.equal(pool.capacity, pool.size, 'capacity is one task per thread');
});

t.test('process.exit after a run of short tasks blames only the task that called it', async (t) => {
  const before = Array.from({ length: 50 }, (_, i) => run('inc', [i], {}, `pre-${i}`));
  const killer = run('exitNow', [5], {}, 'exitNow-2');
  const after = Array.from({ length: 50 }, (_, i) => run('inc', [i], {}, `post-${i}`));
  const rs = await Promise.all([...before, ...after]);
  t.equal(rs.filter((r) => r.ok).length, 100, 'every other task succeeds');
  t.match(await killer, { ok: false, died: true, error: { message: /exit code 5/ } });
});

t.test('a result that cannot be sent fails its task only, naming what it is', async (t) => {
  const fnUrl = 'data:text/javascript,export const f = () => () => 1; export const g = (x) => x * 2;';
  const [bad, good] = await Promise.all([
    pool.run({ key: 'f-1', url: fnUrl, exportName: 'f', args: [], data: {} }),
    pool.run({ key: 'g-1', url: fnUrl, exportName: 'g', args: [21], data: {} }),
  ]);
  t.match(bad, { ok: false, died: false, error: { name: 'ResultError', message: "the task's result cannot be sent: result: a function cannot be sent" } });
  t.match(good, { ok: true, value: 42 });
});

t.test('an export added to a task module after a thread imported it: the error says the file changed since, and to restart', async (t) => {
  // Found by the data-engineer trial: a function added to the task module while hand-started
  // workers ran failed with only `has no exported function "readH2" (exports: addH2, skimFile)`,
  // naming the very file that now has it.
  const single = new ThreadPool(1, 'pool-edited', () => {});
  t.teardown(() => single.close());
  const dir = mkdtempSync(join(tmpdir(), 'gluon-edited-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'edited.mjs');
  writeFileSync(file, 'export const square = (x) => x * x;\n');
  const edited = pathToFileURL(file).href;
  const call = (exportName: string, key: string) => single.run({ key, url: edited, exportName, args: [3], data: {} });
  t.equal(ok(t, await call('square', 'square-1')), 9);
  t.match(await call('cube', 'cube-0'), { ok: false, error: { name: 'TypeError', message: /^module file:\S+edited\.mjs has no exported function "cube" \(exports: square\)$/ } }, 'not edited: nothing said of an edit');
  writeFileSync(file, 'export const square = (x) => x * x;\nexport const cube = (x) => x * x * x;\n');
  // Dated a minute ahead, so that it is after the import whatever the file system's time
  // granularity; a whole second, which utimes stores exactly.
  const later = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000);
  utimesSync(file, later, later);
  t.match(await call('cube', 'cube-1'), { ok: false, error: { name: 'TypeError', message: new RegExp(`^module file:\\S+edited\\.mjs has no exported function "cube" \\(exports: square\\); the file was modified \\(${later.toISOString().replace(/[.]/g, '\\.')}\\) after this thread imported it \\(\\S+Z\\), and a worker runs a module as it first imported it, for its threads' life: restart the worker to run the edited file$`) } });
});

t.test('cancel stops a runaway task after a short grace: its thread is replaced, the tasks behind it run', async (t) => {
  const single = new ThreadPool(1, 'pool-cancel', () => {});
  t.teardown(() => single.close());
  const dir = mkdtempSync(join(tmpdir(), 'gluon-pool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mark = join(dir, 'started');
  const spinning = single.run({ key: 'spin-1', url, exportName: 'spin', args: [mark], data: {} });
  const behind = Array.from({ length: 6 }, (_, i) => single.run({ key: `inc-${i}`, url, exportName: 'inc', args: [i], data: {} }));
  await until(() => existsSync(mark), 'the runaway task started');
  t.ok(existsSync(mark), 'the runaway task started');
  single.cancel('spin-1');
  t.match(await spinning, { ok: false, died: false, error: { name: 'TaskCancelled', message: /was cancelled and still ran after \d+ ms; its thread was stopped/ } });
  t.same((await Promise.all(behind)).map((r) => ok(t, r)), [1, 2, 3, 4, 5, 6], 'queued in the thread or the pool, all ran');
  const queued = [single.run({ key: 'inc-a', url, exportName: 'inc', args: [1], data: {} }), single.run({ key: 'never-1', url, exportName: 'inc', args: [1], data: {} })];
  single.cancel('never-1');
  const [a, never] = await Promise.all(queued);
  t.equal(ok(t, a), 2);
  t.ok(never.ok || never.error.name === 'TaskCancelled', 'a cancelled task either finished in its grace or was dropped');
});

t.test('timeoutMs stops a task that runs too long; resume() undoes a cancel', async (t) => {
  const single = new ThreadPool(1, 'pool-timeout', () => {});
  t.teardown(() => single.close());
  const r = await single.run({ key: 'spin-2', url, exportName: 'spin', args: [], data: {}, timeoutMs: 100 });
  t.match(r, { ok: false, died: false, error: { name: 'TaskTimeoutError', message: 'task spin-2 ran longer than its timeoutMs of 100 ms; its thread was stopped' } });
  t.equal(ok(t, await single.run({ key: 'inc-9', url, exportName: 'inc', args: [9], data: {} })), 10, 'the fresh thread runs tasks');
  const slow = single.run({ key: 'later-1', url, exportName: 'addLater', args: [1, 2, 1500], data: {} });
  single.cancel('later-1');
  single.resume('later-1');
  t.equal(ok(t, await slow), 3, 'resumed: not stopped after the cancel grace');
});

/** A gate a `gated` task blocks its thread on, and shared counters of `counted` runs. */
function gate(cells = 2) {
  const g = new Int32Array(new SharedArrayBuffer(4 * cells));
  return {
    buffer: g.buffer,
    cell: (i: number) => Atomics.load(g, i),
    open: () => {
      Atomics.store(g, 0, 1);
      Atomics.notify(g, 0);
    },
  };
}

/** A pool of two threads, closed at the end of the test with `g` opened first; `task` runs one on it. */
function twoThreads(t: Test, name: string, g: ReturnType<typeof gate>) {
  const two = new ThreadPool(2, name, () => {});
  t.teardown(() => {
    g.open();
    return two.close();
  });
  const task = (key: string, exportName: string, args: unknown[], timeoutMs?: number) =>
    two.run({ key, url, exportName, args, data: {}, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  return { two, task };
}

t.test('a task queued behind a blocked one runs on a thread that is free (no head-of-line blocking)', async (t) => {
  const g = gate();
  const { two, task } = twoThreads(t, 'pool-hol', g);
  const counts = gate(3);
  let blockedDone = false;
  const blocked = task('a', 'gated', [g.buffer]).then((r) => ((blockedDone = true), r));
  // Posted together: A and C go to the first thread, B to the second (before, C waited for A).
  const later = [task('b', 'counted', [counts.buffer, 0]), task('c', 'counted', [counts.buffer, 1])];
  t.same((await Promise.all(later)).map((r) => ok(t, r)), [0, 1], 'B and C both finished');
  t.notOk(blockedDone, 'while A still blocks its thread');
  // A's thread may still be importing the module when B and C are done (the other thread had it
  // already): wait for A to start rather than read it at this instant, which a loaded machine lost.
  await until(() => g.cell(1) === 1, 'A is running');
  t.equal(g.cell(1), 1, 'A is running');
  g.open();
  t.equal(ok(t, await blocked), 1, 'A finishes once released');
  // The thread A blocked reaches C's first posting only now: it must skip it, not run C again.
  const more = Array.from({ length: 8 }, (_, i) => task(`d-${i}`, 'counted', [counts.buffer, 2]));
  t.ok((await Promise.all(more)).every((r) => r.ok));
  t.same([counts.cell(0), counts.cell(1), counts.cell(2)], [1, 1, 8], 'every task ran exactly once');
  t.equal(two.executing, 0);
});

t.test('a task queued behind one its thread had not yet taken when another thread went idle still runs on the idle thread', async (t) => {
  const g = gate();
  const { two, task } = twoThreads(t, 'pool-hol-late', g);
  const stall = gate();
  t.teardown(() => stall.open());
  // The first thread answers, then stalls outside any task: it takes no new task until let go.
  // Both threads started first (a thread still starting gives its tasks to one that has).
  const [gx, gy] = [gate(), gate()];
  const warm = [task('x', 'gated', [gx.buffer]), task('y', 'gated', [gy.buffer])];
  await until(() => gx.cell(1) === 1 && gy.cell(1) === 1, 'both threads run a task');
  gx.open();
  gy.open();
  await Promise.all(warm);
  // Short tasks, so that each thread may hold several (the warm-up's long ones made it one each).
  const quick = gate(1);
  for (let i = 0; i < 40; i++) ok(t, await task(`q-${i}`, 'counted', [quick.buffer, 0]));
  t.equal(ok(t, await task('p', 'stallThreadAfter', [stall.buffer])), 0);
  await until(() => stall.cell(1) === 1, 'the first thread stalls');
  const counts = gate(2);
  const blocked = task('a', 'gated', [g.buffer]);
  // A and C go to the stalled thread, B to the other, which finishes B while A is not yet taken.
  const b = task('b', 'counted', [counts.buffer, 0]);
  const c = task('c', 'counted', [counts.buffer, 1]);
  t.equal(ok(t, await b), 0, 'B finished');
  stall.open();
  await until(() => g.cell(1) === 1, 'A started on the thread let go');
  // Before: nothing looked again once B's thread went idle, and C waited for A (60 s, then A gave up).
  t.equal(ok(t, await c), 1, 'C ran on the idle thread while A blocks');
  t.equal(g.cell(0), 0, 'A was still blocked then');
  g.open();
  t.equal(ok(t, await blocked), 1, 'A finishes once released');
  t.same([counts.cell(0), counts.cell(1)], [1, 1], 'each ran once');
});

t.test('withdraw takes out a task no thread started, posted behind a blocked one or still waiting; never a running one', async (t) => {
  // A worker asked to give up a task for a steal: one posted to a thread behind a long task was
  // refused, and waited for it with threads free on other workers.
  const g = gate();
  const single = new ThreadPool(1, 'pool-withdraw', () => {});
  t.teardown(() => {
    g.open();
    return single.close();
  });
  const counts = gate(3);
  const settled = new Set<string>();
  const run = (key: string, exportName: string, args: unknown[]) =>
    single.run({ key, url, exportName, args, data: {} }).then((r) => (settled.add(key), r));
  const a = run('a', 'gated', [g.buffer]);
  // B goes to the thread behind A (a thread holds two ordinary tasks), C waits in the pool.
  void run('b', 'counted', [counts.buffer, 0]);
  void run('c', 'counted', [counts.buffer, 1]);
  await until(() => g.cell(1) === 1, 'A is running');
  t.equal(single.executing, 2, 'A and B are in the thread');
  t.notOk(single.withdraw('a'), 'the running task stays');
  t.ok(single.withdraw('b'), 'the task posted behind it is taken out');
  t.ok(single.withdraw('c'), 'and the one waiting in the pool');
  t.notOk(single.withdraw('b'), 'once');
  t.notOk(single.withdraw('nope'));
  t.equal(single.executing, 1);
  g.open();
  t.equal(ok(t, await a), 1);
  t.equal(ok(t, await run('d', 'counted', [counts.buffer, 2])), 2, 'the thread goes on with the next task');
  t.same([counts.cell(0), counts.cell(1), counts.cell(2)], [0, 0, 1], 'neither taken-out task ran');
  t.same([...settled].sort(), ['a', 'd'], 'nor was answered: the caller gave them up');
});

t.test('withdraw stops at the first entry of its key: a running task is never withdrawn, whatever is queued behind it', async (t) => {
  // The scan went on past the match and took the last entry of the key: with a second copy of a
  // running task posted behind it, withdraw took that copy out and said true while the key ran.
  const g = gate();
  const single = new ThreadPool(1, 'pool-withdraw-first', () => {});
  t.teardown(() => {
    g.open();
    return single.close();
  });
  const counts = gate(2);
  const first = single.run({ key: 'x', url, exportName: 'gated', args: [g.buffer], data: {} });
  const second = single.run({ key: 'x', url, exportName: 'counted', args: [counts.buffer, 0], data: {} });
  const other = single.run({ key: 'y', url, exportName: 'counted', args: [counts.buffer, 1], data: {} });
  await until(() => g.cell(1) === 1, 'the first x is running');
  t.equal(single.executing, 2, 'both copies of x are in the thread');
  t.notOk(single.withdraw('x'), 'x runs: it is not withdrawn');
  t.ok(single.withdraw('y'), 'the unstarted task waiting in the pool is');
  g.open();
  t.equal(ok(t, await first), 1);
  t.equal(ok(t, await second), 0, 'the copy behind it ran as well');
  t.same([counts.cell(0), counts.cell(1)], [1, 0], 'only the withdrawn task did not run');
  let settled = false;
  void other.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(settled, 'the withdrawn task is not answered');
});

t.test('taken-back tasks and timeoutMs/cancel: the blocked task is stopped, nothing runs twice or is lost', async (t) => {
  const g = gate();
  const { two, task } = twoThreads(t, 'pool-hol-stop', g);
  const counts = gate(4);
  // A blocks until its timeout stops its thread; C, queued behind it, runs elsewhere first.
  const a = task('a', 'gated', [g.buffer], 300);
  const [b, c] = [task('b', 'counted', [counts.buffer, 0]), task('c', 'counted', [counts.buffer, 1])];
  t.same([ok(t, await b), ok(t, await c)], [0, 1]);
  t.match(await a, { ok: false, died: false, error: { name: 'TaskTimeoutError' } });
  const after = await Promise.all([task('e', 'counted', [counts.buffer, 2]), task('f', 'counted', [counts.buffer, 2])]);
  t.ok(after.every((r) => r.ok), 'both threads run tasks after the stopped one was replaced');
  t.same([counts.cell(0), counts.cell(1), counts.cell(2)], [1, 1, 2], 'each ran once: nothing requeued twice by the timeout');
  // Both threads blocked, a task queued behind one of them is cancelled: answered at once.
  const [gx, gy] = [gate(), gate()];
  t.teardown(() => {
    gx.open();
    gy.open();
  });
  const x = task('x', 'gated', [gx.buffer]);
  const y = task('y', 'gated', [gy.buffer]);
  const z = task('z', 'counted', [counts.buffer, 3]);
  await until(() => gx.cell(1) === 1 && gy.cell(1) === 1, 'both gated tasks started');
  two.cancel('z');
  t.match(await z, { ok: false, error: { name: 'TaskCancelled' } }, 'answered while both threads still block');
  gx.open();
  gy.open();
  t.same([ok(t, await x), ok(t, await y)], [1, 1]);
  t.equal(counts.cell(3), 0, 'the cancelled task never ran');
});

t.test('a cancelled task waiting while every thread holds all it may (after long tasks, one each) is answered at once', async (t) => {
  const g = gate();
  const { two, task } = twoThreads(t, 'pool-cancel-full', g);
  // A 300 ms task makes the mean task time long: from then on a thread holds one task at a time.
  ok(t, await task('long', 'sleep', [300]));
  const [gx, gy] = [gate(), gate()];
  t.teardown(() => {
    gx.open();
    gy.open();
  });
  let blocked = true;
  const x = task('x', 'gated', [gx.buffer]);
  const y = task('y', 'gated', [gy.buffer]);
  void Promise.all([x, y]).then(() => (blocked = false));
  const counts = gate(1);
  const z = task('z', 'counted', [counts.buffer, 0]);
  await until(() => gx.cell(1) === 1 && gy.cell(1) === 1, 'both gated tasks started');
  two.cancel('z');
  t.match(await z, { ok: false, error: { name: 'TaskCancelled' } });
  t.ok(blocked, 'answered while both threads still block (before: only when one of them was free)');
  gx.open();
  gy.open();
  t.same([ok(t, await x), ok(t, await y)], [1, 1]);
  t.equal(counts.cell(0), 0, 'the cancelled task never ran');
});

t.test('with a memory limit each thread\'s heap is capped at its share: a task that fills it ends only its thread', async (t) => {
  const capped = new ThreadPool(2, 'pool-heap', () => {}, 128 * 2 ** 20);
  t.teardown(() => capped.close());
  t.equal(capped.threadHeapMb, 64, '128 MiB over 2 threads');
  const r = await capped.run({ key: 'hog-1', url, exportName: 'hogHeap', args: [], data: {} });
  t.match(r, { ok: false, died: true, error: { message: /^memory limit exceeded: the task filled its thread's heap of 64 MiB/ } });
  t.equal(ok(t, await capped.run({ key: 'inc-1', url, exportName: 'inc', args: [1], data: {} })), 2, 'a fresh thread runs the next task');
  t.equal(new ThreadPool(1, 'pool-tiny', () => {}, 2 ** 20).threadHeapMb, 32, 'never below a heap a thread can start with');
});

t.test('shed() stops the task running longest, as a thread death naming the memory limit', async (t) => {
  const single = new ThreadPool(1, 'pool-shed', () => {});
  t.teardown(() => single.close());
  t.equal(single.shed('nothing runs'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'gluon-shed-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mark = join(dir, 'started');
  const spinning = single.run({ key: 'spin-3', url, exportName: 'spin', args: [mark], data: {} });
  await until(() => existsSync(mark), 'the runaway task started');
  t.equal(single.shed('RSS 2 GiB over 1 GiB'), 'spin-3');
  t.match(await spinning, { ok: false, died: true, error: { name: 'MemoryLimitExceeded', message: 'memory limit exceeded: RSS 2 GiB over 1 GiB; task spin-3 was running longest, so its thread was stopped' } });
});

t.test('with WORKER_V8_FLAGS the main thread\'s nursery stays at 1 MiB semi-spaces (short scavenges) and task threads get V8\'s default', async (t) => {
  // A process of its own: V8 reads the flags when each isolate is created.
  const poolUrl = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'pool.js')).href;
  const script = `
    const { ThreadPool } = await import(${JSON.stringify(poolUrl)});
    const { nurseryMiB } = await import(${JSON.stringify(url)});
    const pool = new ThreadPool(1, 'pool-nursery', () => {});
    const r = await pool.run({ key: 'nursery-1', url: ${JSON.stringify(url)}, exportName: 'nurseryMiB', args: [], data: {} });
    console.log(JSON.stringify({ thread: r.ok ? r.value : r.error.message, main: await nurseryMiB() }));
    await pool.close();`;
  // A file, not -e: threads inherit node's options, and --input-type would fail them.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-nursery-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'nursery.mjs'), script);
  const out = execFileSync(process.execPath, [...WORKER_V8_FLAGS, join(dir, 'nursery.mjs')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const { thread, main } = JSON.parse(out) as { thread: number; main: number };
  t.ok(main <= 2, `main thread: ${main} MiB of new space (two 1 MiB semi-spaces at most)`);
  t.ok(thread > 2, `task thread: ${thread} MiB of new space (V8's default grows past 2)`);
});

t.test('restoreThreadNursery resets the flag only for Gluon\'s own main-thread size', (t) => {
  t.equal(restoreThreadNursery([], ''), false, 'no size given');
  t.equal(restoreThreadNursery(['--max-semi-space-size=8'], ''), false, 'a size set by hand applies to every thread');
  t.equal(restoreThreadNursery(['--max-semi-space-size=1'], '--max-semi-space-size=4'), false, 'NODE_OPTIONS sets one too');
  t.equal(restoreThreadNursery(['--max-semi-space-size=1'], ''), true);
  t.equal(restoreThreadNursery([], '--max_semi_space_size=1'), true, 'either spelling, from NODE_OPTIONS');
  t.end();
});

t.test('a task that finds a thread idle is in it before start() returns; done never runs inside start()', async (t) => {
  const one = new ThreadPool(1, 'pool-now', () => {});
  t.teardown(() => one.close());
  t.equal(ok(t, await one.run({ key: 'inc-w', url, exportName: 'inc', args: [1], data: {} })), 2, 'the thread is up');
  let answered: PoolResult | undefined;
  const first = new Promise<PoolResult>((resolve) => one.start({ key: 'inc-n', url, exportName: 'inc', args: [2], data: {} }, (r) => resolve((answered = r))));
  t.equal(one.executing, 1, 'posted to the idle thread at once, not at the end of the step');
  t.equal(answered, undefined);
  t.equal(ok(t, await first), 3);
  // Arguments that cannot be cloned fail in the post, which start() made: answered later all the same.
  let bad: PoolResult | undefined;
  const failed = new Promise<PoolResult>((resolve) => one.start({ key: 'inc-f', url, exportName: 'inc', args: [() => 1], data: {} }, (r) => resolve((bad = r))));
  t.equal(bad, undefined, 'not answered inside start()');
  t.match(await failed, { ok: false, error: { name: 'DataCloneError', message: /arguments of inc-f cannot be passed to a thread/ } });
  t.equal(ok(t, await one.run({ key: 'inc-a', url, exportName: 'inc', args: [4], data: {} })), 5, 'the pool goes on');
});

t.test('the last queued task\'s result leaves before the microtasks it left run; between tasks they run first', async (t) => {
  const order: string[] = [];
  const one = new ThreadPool(1, 'pool-order', (topic) => order.push(`publish ${topic}`));
  t.teardown(() => one.close());
  t.equal(ok(t, await one.run({ key: 'inc-w', url, exportName: 'inc', args: [1], data: {} })), 2, 'the thread is up');
  const r = await one.run({ key: 'publishAfter-1', url, exportName: 'publishAfter', args: ['p1'], data: {} }).then((x) => {
    order.push('done');
    return x;
  });
  t.equal(ok(t, r), 'p1');
  // The thread's messages arrive in order: by this next result, the publish has arrived too.
  t.equal(ok(t, await one.run({ key: 'inc-p', url, exportName: 'inc', args: [1], data: {} })), 2);
  t.same(order, ['done', 'publish p1'], 'the result was posted first (the main thread has it sooner)');
  // Short tasks are posted several to a message: within one, what a task left behind still runs
  // before the next task starts, as when each task was awaited.
  for (let i = 0; i < 60; i++) ok(t, await one.run({ key: `inc-${i}`, url, exportName: 'inc', args: [i], data: {} }));
  const [a, b] = await Promise.all([
    one.run({ key: 'leaveCount-1', url, exportName: 'leaveCount', args: [], data: {} }),
    one.run({ key: 'leftCount-1', url, exportName: 'leftCount', args: [], data: {} }),
  ]);
  t.equal(ok(t, b), (ok(t, a) as number) + 1, 'the next task saw what the last one left behind');
});

t.test('a result whose then getter throws fails its task, not its thread', async (t) => {
  t.match(await run('throwingThen', []), { ok: false, died: false, error: { name: 'RangeError', message: 'then getter' } });
  t.equal(ok(t, await run('inc', [1], {}, 'after-then')), 2);
});
