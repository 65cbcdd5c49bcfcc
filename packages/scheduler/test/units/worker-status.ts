/**
 * A worker's state in words on the workers table and its own page (assets/worker-status.js): one
 * that said it is leaving shows as retiring, with the results it still hands over, not as running.
 * Pure shaping, under Node; the pages draw this text (tables.js, worker-render.js).
 */
import t from 'tap';
import { workerStatus } from '../../assets/worker-status.js';

t.test('a closing worker reads as retiring while it holds results, closing once it holds none; others as before', async (t) => {
  const w = { alive: true, paused: false, closing: false, stored: 0 };
  t.equal(workerStatus(w), 'running');
  t.equal(workerStatus({ ...w, paused: true }), 'paused (over its memory limit)');
  t.equal(workerStatus({ ...w, closing: true, stored: 12 }), 'retiring — handing over 12 results');
  t.equal(workerStatus({ ...w, closing: true, stored: 1 }), 'retiring — handing over 1 result');
  t.equal(workerStatus({ ...w, closing: true, paused: true, stored: 3 }), 'retiring — handing over 3 results', 'leaving says more than paused: it takes no tasks either way');
  t.equal(workerStatus({ ...w, closing: true }), 'closing');
  t.equal(workerStatus({ ...w, alive: false, closing: true, stored: 4 }), 'gone');
});
