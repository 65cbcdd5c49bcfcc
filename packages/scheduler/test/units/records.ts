import t from 'tap';
import { ownCopy } from '../../src/graph.js';
import { NO_DEPS, TaskRecord } from '../../src/records.js';
import { Sim, task } from '../sim.js';

const record = () => new TaskRecord('a-1', 'a', { module: 'm', export: 'a' }, [], NO_DEPS, 0, 1, 0, 0);

t.test('a record reads the rare fields as their defaults, and sets each on its own', async (t) => {
  const ts = record();
  t.same([ts.retries, ts.retriesUsed, ts.deaths, ts.error, ts.thief, ts.timeoutMs], [0, 0, 0, null, null, 0]);
  ts.deaths = 0;
  ts.thief = null;
  const other = record();
  other.deaths++;
  other.timeoutMs = 500;
  t.equal(other.deaths, 1);
  t.equal(other.timeoutMs, 500);
  t.same([ts.deaths, ts.timeoutMs], [0, 0], 'setting one record\'s fields leaves the shared defaults alone');
  other.deaths = 0;
  t.equal(other.deaths, 0, 'and back to the default');
});

t.test('ownCopy gives back an equal string, Latin-1 or not, short or long', async (t) => {
  for (const s of ['noop-0123456789abcdef', 'ü-ß-ÿ-latin1-key', 'δ-beyond-latin1-key', 'a😀b-emoji-key', '', 'x'.repeat(5000)]) {
    t.equal(ownCopy(s), s, JSON.stringify(s.slice(0, 20)));
  }
});

t.test('retries, a time limit and references in nested arguments survive the lighter records', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  const args = [{ parts: [{ __gluonRef: 'a-1' }, 7, { __gluonRef: 'a-2' }] }, { __gluonRef: 'a-1' }];
  const cmds = sim.submit('c', [task('a-1'), task('a-2'), task('δ-1', ['a-1', 'a-2'], { args, retries: 2, timeoutMs: 900 })], ['δ-1']);
  t.ok(cmds.length > 0);
  sim.finish('w1', 'a-1');
  const sent = sim.finish('w1', 'a-2').find((c) => c.msg.op === 'compute-task' && c.msg.key === 'δ-1');
  t.ok(sent, 'the dependent went out once its inputs were in');
  t.same(sent!.msg.args, [{ parts: [{ __gluonRef: 'a-1' }, 7, { __gluonRef: 'a-2' }] }, { __gluonRef: 'a-1' }], 'arguments as submitted');
  t.equal(sent!.msg.timeoutMs, 900);
  const ts = sim.state.tasks.get('δ-1')!;
  t.equal(ts.retries, 2);
  t.equal(ts.key, 'δ-1');
});
