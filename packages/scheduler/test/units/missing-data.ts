/**
 * A believed `missing-data` report (missing-data.ts) against real worker state machines: the
 * holder dropped from the scheduler's books is told to free its copy, so what the scheduler
 * believes each worker holds and what it holds agree afterwards.
 */
import t from 'tap';
import { Coupled } from '../coupled.js';
import { task } from '../sim.js';

t.test('a holder dropped by a believed missing-data report is told to free its copy: the books and the workers agree', async (t) => {
  const c = new Coupled();
  c.addClient('c');
  c.addWorker('w1');
  // in-1 on w1; then w1 closes (it gets no new task), and out-1 goes to w2, which cannot reach w1.
  c.submit('c', [task('in-1')]);
  c.deliver(c.state.workerClosing('w1'));
  c.addWorker('w2');
  c.cutLink('w2', 'w1');
  c.submit('c', [task('out-1', ['in-1'])]);

  const freedOnW1 = c.log.filter((x) => 'worker' in x.to && x.to.worker === 'w1' && x.msg.op === 'free-keys').flatMap((x) => x.msg.keys as string[]);
  t.ok(freedOnW1.includes('in-1'), 'w1 is told to free the copy it was dropped as a holder of');
  t.equal(c.state.tasks.get('out-1')!.state, 'memory', 'out-1 ran after all, on an input computed again');
  t.same(c.state.tasks.get('in-1')!.holders.map((h) => h.id), ['w2'], 'in-1 is held on w2 alone, as the scheduler knows it');
  for (const id of ['w1', 'w2']) {
    const b = c.books(id);
    t.same(b.scheduler, b.worker, `${id}: the keys and bytes the scheduler counts are those it holds`);
  }
  t.notOk(c.workers.get('w1')!.has('in-1'), 'w1 holds no copy of in-1 the scheduler does not know of');
});
