/**
 * The near-miss rule of every option object and CLI flag above rootio (option-keys.ts): a
 * misspelling within a few edits, or the name with a word added or left off.
 */
import t from 'tap';
import { checkOptionKeys, nearest } from '@gluon/protocol';

const LOCAL = ['nWorkers', 'nthreads', 'token', 'dashboard', 'dashboardLink', 'memoryLimit', 'maxFrameBytes', 'maxMessageBytes', 'timeoutMs'];

t.test('misspellings: the nearest name within a few edits, case ignored', async (t) => {
  t.equal(nearest('nWorker', LOCAL), 'nWorkers');
  t.equal(nearest('NTHREADS', LOCAL), 'nthreads');
  t.equal(nearest('timeout', LOCAL), 'timeoutMs');
  t.equal(nearest('workerCount', LOCAL), undefined, 'nothing near');
});

t.test('a word added or left off: the known name it starts with, or the only one that starts with it', async (t) => {
  // dashboardPort is 4 edits from dashboard: refused with no hint before.
  t.equal(nearest('dashboardPort', LOCAL), 'dashboard');
  t.equal(nearest('dashboardLinkTemplate', LOCAL), 'dashboardLink', 'the longest name it starts with');
  t.equal(nearest('memory', LOCAL), 'memoryLimit');
  t.equal(nearest('maxBytes', LOCAL), undefined, 'no name starts it, and it starts none');
  t.equal(nearest('max', LOCAL), undefined, 'under 4 letters: too short to point at one');
  t.equal(nearest('maxFrame', ['maxFrameBytes', 'maxFrameCount']), undefined, 'two names start with it: neither is said');
});

t.test('checkOptionKeys names the call, the key and the near miss', async (t) => {
  type Options = { nWorkers?: number; dashboard?: boolean | number };
  const known = { nWorkers: true, dashboard: true } as const;
  t.throws(() => checkOptionKeys<Options>({ dashboardPort: 1 } as Options, known, 'LocalCluster.start'), {
    name: 'TypeError', message: 'LocalCluster.start: unknown option "dashboardPort" (did you mean "dashboard"?); the options are nWorkers, dashboard',
  });
  t.doesNotThrow(() => checkOptionKeys<Options>({ dashboard: 1 }, known, 'LocalCluster.start'));
});
