/**
 * How the page names workers (assets/worker-labels.js) and how the scheduler's log lines say
 * which worker they name (src/log-line.ts): two workers of one name are labelled apart, each by
 * its id, in the task stream's rows and the event log's lines. Pure shaping, under Node.
 */
import t from 'tap';
import { logLine } from '../../src/log-line.js';
import { forgetGoneWorkers, labelOf, logParts, MAX_GONE_KEPT, streamRows, workerLabels } from '../../assets/worker-labels.js';

t.test('logLine: a worker stands as its name; its id and place are recorded', async (t) => {
  const w = { id: 'w7', name: 'gpu' };
  const l = logLine`task k raised E: the gpu broke on ${w}; retry ${1}/${2}`;
  t.same(l, { text: 'task k raised E: the gpu broke on gpu; retry 1/2', workers: [{ id: 'w7', name: 'gpu', at: 34 }] });
  t.equal(l.text.slice(34, 37), 'gpu', 'the recorded place, not the first occurrence of the name');
  t.same(logLine`freed ${3} result(s) on ${'w9'}`, { text: 'freed 3 result(s) on w9' }, 'no worker: no workers');
  const two = logLine`${w} and ${{ id: 'w8', name: 'gpu' }}`;
  t.same(two.workers, [{ id: 'w7', name: 'gpu', at: 0 }, { id: 'w8', name: 'gpu', at: 8 }]);
});

t.test('the page: labels tell workers named alike apart; stream rows and log lines by id', async (t) => {
  const workers = [
    { id: 'w1', name: 'node', alive: false },
    { id: 'w2', name: 'solo', alive: true },
    { id: 'w3', name: 'node', alive: true },
  ];
  const labels = workerLabels(workers);
  t.same([...labels], [['w1', 'node (id w1)'], ['w2', 'solo'], ['w3', 'node (id w3)']], 'a name shared (even with a gone worker) gains the id; a unique one is kept');
  t.equal(labelOf(labels, 'ws://10.9.9.9:1'), 'ws://10.9.9.9:1', 'an unknown sender stands as itself');

  const bars = [
    ['w3', 0, 'a', 0, 1, 0, 'a-2', 8, ''],
    ['w1', 0, 'a', 0, 1, 0, 'a-1', 8, ''],
    ['w3', -1, 'a-1', 0, 1, 1, 'a-1', 8, 'w1'],
    ['w2', 1, 'a', 0, 1, 0, 'a-3', 8, ''],
    ['w2', 0, 'a', 0, 1, 0, 'a-4', 8, ''],
    ['w1', 0, 'a', 1, 2, 0, 'a-5', 8, ''],
  ];
  const rows = streamRows(bars, labels);
  t.same(rows.labels, ['node (id w1) #0', 'node (id w3) #0', 'node (id w3) transfers', 'solo #0', 'solo #1'], 'one row per worker thread, by id; labelled apart, in name order');
  t.equal(new Set(rows.keys).size, 5);
  // Without a second `node`, the label is the name alone.
  t.same(streamRows(bars.filter((b) => b[0] !== 'w1' && b[8] !== 'w1'), workerLabels(workers.slice(1))).labels, ['node #0', 'solo #0', 'solo #1']);

  const entry = { time: 0, kind: 'worker-removed', text: 'worker node removed: node lost', workers: [{ id: 'w1', name: 'node', at: 7 }] };
  t.same(logParts(entry, labels), ['worker ', { id: 'w1', label: 'node (id w1)' }, ' removed: node lost'], 'the name where the entry says, linked by id');
  t.same(logParts({ time: 0, kind: 'info', text: 'plain' }, labels), ['plain']);
  t.same(logParts({ ...entry, workers: [{ id: 'w1', name: 'node', at: 3 }] }, labels), ['worker node removed: node lost'], 'a name not where it says: plain text');
  t.same(logParts({ time: 0, kind: 'info', text: 'node', workers: [{ id: 'w3', name: 'node', at: 0 }] }, labels), [{ id: 'w3', label: 'node (id w3)' }]);
});

t.test('the page: workers named like ids (w1, w2) and restarted are not labelled as if named after each other', async (t) => {
  // Two hosts started as --name w1 and --name w2, registered as w1 and w2 the other way round,
  // then each restarted while the gone one is still listed (ids w7, w8).
  const labels = workerLabels([
    { id: 'w1', name: 'w2', alive: false },
    { id: 'w2', name: 'w1', alive: false },
    { id: 'w7', name: 'w2', alive: true },
    { id: 'w8', name: 'w1', alive: true },
  ]);
  t.same([...labels.values()], ['w2 (id w1)', 'w1 (id w2)', 'w2 (id w7)', 'w1 (id w8)'], 'the id is said to be one');
  const entry = { time: 0, kind: 'info', text: 'worker w2 retires', workers: [{ id: 'w1', name: 'w2', at: 7 }] };
  t.same(logParts(entry, labels), ['worker ', { id: 'w1', label: 'w2 (id w1)' }, ' retires'], 'not "worker w2 (w1) retires"');
});

t.test('the page forgets gone workers beyond the 100 most recently seen', async (t) => {
  const workers = new Map();
  for (let i = 0; i < 250; i++) workers.set(`w${i}`, { id: `w${i}`, name: 'job', alive: i % 5 === 0, lastSeen: i });
  forgetGoneWorkers(workers);
  const gone = [...workers.values()].filter((w) => !w.alive).map((w) => w.lastSeen);
  t.equal(gone.length, MAX_GONE_KEPT);
  const expected = Array.from({ length: 250 }, (_, i) => i).filter((i) => i % 5 !== 0).slice(-100);
  t.same(gone.sort((a, b) => a - b), expected, 'the most recently seen gone ones (of 200 gone, the last 100)');
  t.equal([...workers.values()].filter((w) => w.alive).length, 50, 'every live one kept');
  const few = new Map([['a', { id: 'a', name: 'a', alive: false, lastSeen: 0 }]]);
  forgetGoneWorkers(few);
  t.equal(few.size, 1, 'under the bound: nothing forgotten');
});
