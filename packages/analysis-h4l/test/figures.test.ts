/**
 * Counts and rates on the analyses' consoles have thousands separators, as countOf()'s do: the
 * end-of-run summaries and the progress line printed '188686 events' and '5543/9435 events'
 * beside lines saying '47,172 events'.
 */
import t from 'tap';
import { figure } from '../src/figures.js';
import { progressLine } from '../src/progress.js';

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
