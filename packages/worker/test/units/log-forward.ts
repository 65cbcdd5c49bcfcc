/** The worker's log lines on their way to the scheduler: bounded in length, rate and backlog. */
import t from 'tap';
import type { Message } from '@gluon/protocol';
import { LogForwarder, MAX_LINE } from '../../src/log-forward.js';

t.test('lines go out as log messages; while disconnected the last 50 wait', async (t) => {
  let now = 1000;
  const f = new LogForwarder(() => now);
  for (let i = 0; i < 60; i++) f.line(`early ${i}`);
  const sent: Message[] = [];
  f.attach((m) => sent.push(m));
  t.equal(sent.length, 50, 'the backlog is bounded');
  t.same(sent[0], { op: 'log', time: 1000, text: 'early 10' }, 'the newest 50 are kept');
  f.line('x'.repeat(MAX_LINE + 10));
  t.equal(sent.at(-1)!.text, `${'x'.repeat(MAX_LINE)}… (${MAX_LINE + 10} characters)`, 'long lines are cut and say so');
  f.detach();
  f.line('later');
  t.equal(sent.length, 51, 'nothing is sent while detached');
});

t.test('at most 100 lines per 10 s; the rest are counted in a note', async (t) => {
  let now = 0;
  const f = new LogForwarder(() => now);
  const sent: Message[] = [];
  f.attach((m) => sent.push(m));
  for (let i = 0; i < 130; i++) f.line(`line ${i}`);
  t.equal(sent.length, 100);
  now = 10_000;
  f.line('next window');
  t.same(sent.slice(-2).map((m) => m.text), ['(30 log line(s) not forwarded: over 100 per 10 s)', 'next window']);
  // A line logged while one is being sent (the connection's own error log) is not sent again.
  const g = new LogForwarder(() => 0);
  const out: Message[] = [];
  g.attach((m) => {
    out.push(m);
    g.line('logged by send');
  });
  g.line('first');
  t.same(out.map((m) => m.text), ['first']);
});
