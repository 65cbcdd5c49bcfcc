/**
 * Counts and rates on the analyses' consoles have thousands separators, as countOf()'s do: the
 * end-of-run summaries and the progress line printed '188686 events' and '5543/9435 events'
 * beside lines saying '47,172 events'.
 */
import t from 'tap';
import { figure } from '../src/figures.js';
import { progressLine, progressRate } from '../src/progress.js';

t.test('figure: a whole number, thousands separated', async (t) => {
  t.equal(figure(188686), '188,686');
  t.equal(figure(999), '999');
  t.equal(figure(1234567.6), '1,234,568', 'a rate, rounded');
  t.equal(figure(0), '0');
});

t.test('the progress line: counts below 10,000 separated, larger ones in k and M as before', async (t) => {
  const p = { chunksDone: 1, chunksTotal: 12, filesDone: 0, filesTotal: 12, events: 5543, eventsTotal: 9435, elapsedMs: 2000 };
  t.equal(progressLine(p).text, '1/12 chunks  5,543/9,435 events  2,772 ev/s  ETA 1.4s');
  t.equal(progressLine({ ...p, events: 27_700, eventsTotal: 1_200_000 }).text, '1/12 chunks  27.7k/1.20M events  13.8k ev/s  ETA 84.6s');
});

t.test('the progress line gives no rate or ETA until one chunk with events is done over ≥ 1 s of processing', async (t) => {
  // A cluster's first line: processing starts when a worker first ran a task, which the first
  // chunk done may be, so it divided 5,543 events by the 1 ms floor: '5.54M ev/s  ETA 0.0s'.
  const p = { chunksDone: 1, chunksTotal: 12, filesDone: 0, filesTotal: 12, events: 5543, eventsTotal: 9435, elapsedMs: 0.2 };
  t.equal(progressLine(p).text, '1/12 chunks  5,543/9,435 events  ? ev/s  ETA ?');
  t.equal(progressRate(p), undefined, 'under 1 ms');
  t.equal(progressRate({ ...p, elapsedMs: 999 }), undefined, 'under 1 s');
  t.equal(progressRate({ ...p, elapsedMs: 1000 }), 5543, 'from 1 s');
  t.equal(progressRate({ ...p, chunksDone: 0, events: 0, elapsedMs: 5000 }), undefined, 'no chunk done');
  t.equal(progressRate({ ...p, events: 0, elapsedMs: 5000 }), undefined, 'chunks with no events: a rate of 0 would give no ETA either');
  t.equal(progressRate({ ...p, elapsedMs: NaN }), undefined, 'no interval');
  // Every event read: the ETA is known whatever the rate.
  t.equal(progressLine({ ...p, chunksDone: 12, events: 9435, elapsedMs: 300 }).text, '12/12 chunks  9,435/9,435 events  ? ev/s  ETA 0.0s');
  t.equal(progressLine({ ...p, chunksDone: 12, events: 9435, elapsedMs: 2000 }).text, '12/12 chunks  9,435/9,435 events  4,718 ev/s  ETA 0.0s');
});
