/**
 * Counts and rates on the analyses' consoles have thousands separators, as countOf()'s do: the
 * end-of-run summaries and the progress line printed '188686 events' and '5543/9435 events'
 * beside lines saying '47,172 events'.
 */
import t from 'tap';
import { figure } from '../../src/figures.js';
import { progressLine, progressRate } from '../../src/progress.js';

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
  t.equal(progressLine({ ...p, chunksDone: 12, events: 9435, elapsedMs: 2000 }).text, '12/12 chunks  9,435/9,435 events  4,718 ev/s  ETA 0.0s');
  // Events read, chunks still out (the last chunks held no events): the 1 s rule holds.
  t.equal(progressLine({ ...p, chunksDone: 11, events: 9435, elapsedMs: 300 }).text, '11/12 chunks  9,435/9,435 events  ? ev/s  ETA 0.0s');
});

t.test('the last line of a finished run states its overall rate, events over the processing time, however short the run', async (t) => {
  // A run under 1 s ended on '12/12 chunks  9,435/9,435 events  ? ev/s  ETA 0.0s'.
  const done = { chunksDone: 12, chunksTotal: 12, filesDone: 12, filesTotal: 12, events: 9435, eventsTotal: 9435, elapsedMs: 500 };
  t.equal(progressLine(done).text, '12/12 chunks  9,435/9,435 events  18.9k ev/s  ETA 0.0s');
  t.equal(progressRate(done), 18_870);
  t.equal(progressLine({ ...done, chunksTotal: 1, chunksDone: 1, events: 800, eventsTotal: 800, elapsedMs: 0.4 }).text, '1/1 chunks  800/800 events  2.00M ev/s  ETA 0.0s', 'one chunk in 0.4 ms');
  t.equal(progressLine({ ...done, events: 9000, elapsedMs: 250 }).text, '12/12 chunks  9,000/9,435 events  36.0k ev/s  ETA 0.0s', 'fewer events than counted (a file skipped): done, so no ETA to wait for');
  t.equal(progressLine({ ...done, events: 0, eventsTotal: 0, elapsedMs: 5 }).text, '12/12 chunks  0/0 events  0 ev/s  ETA 0.0s', 'no events at all: a rate of 0, as it is');
  t.equal(progressRate({ ...done, elapsedMs: 0 }), undefined, 'no time measured: no rate rather than Infinity');
  t.equal(progressLine({ ...done, elapsedMs: 0 }).text, '12/12 chunks  9,435/9,435 events  ? ev/s  ETA 0.0s');
});

// A run of 2,751 chunks (gluon-h4l run --chunk-size 100 on the demo's dataset) opened with
// `… 188,686 events in 2,751 chunks` and went on with `progress: 623/2751 chunks`.
t.test('the progress line: chunk counts separated too, as the first line has them', async (t) => {
  const p = { chunksDone: 623, chunksTotal: 2751, filesDone: 0, filesTotal: 12, events: 62_300, eventsTotal: 188_686, elapsedMs: 2000 };
  t.equal(progressLine(p).text, '623/2,751 chunks  62.3k/188.7k events  31.1k ev/s  ETA 4.1s');
  t.equal(progressLine({ ...p, chunksDone: 2751, events: 188_686 }).text, '2,751/2,751 chunks  188.7k/188.7k events  94.3k ev/s  ETA 0.0s');
});
