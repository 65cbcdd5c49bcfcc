/**
 * Published values through the real `gluon-scheduler` process and real clients: a publish beyond
 * `--max-topic-bytes` is refused, its publisher alone is told why (a `publish-refused` warning),
 * and the scheduler's log names the topic and the client. The rules themselves (every bound, the
 * totals, the log's rate) are in units/hostile-state.ts.
 */
import t from 'tap';
import { Client, type ClusterWarning } from '@gluon/client';
import { startCli, TOKEN } from '../scheduler-proc.js';
import { until } from '../../../../test/helpers/until.js';

type Heard = ClusterWarning & { active: boolean };

/** The warnings a client hears from now on, and a promise of the next `n`-th one. */
function listen(client: Client): { heard: Heard[]; next: (n: number) => Promise<Heard> } {
  const heard: Heard[] = [];
  const waiters: Array<() => void> = [];
  client.onWarning((w) => {
    heard.push(w);
    for (const w of waiters.splice(0)) w();
  });
  const next = (n: number) => new Promise<Heard>((resolve) => {
    const check = () => (heard.length >= n ? resolve(heard[n - 1]!) : waiters.push(check));
    check();
  });
  return { heard, next };
}

t.test('a publish over --max-topic-bytes: refused, its client alone told why, the log names it', async (t) => {
  const s = await startCli(t, ['--max-topic-bytes', '2KiB'], { GLUON_TOKEN: TOKEN });
  const evil = await Client.connect(s.address, { token: TOKEN, name: 'evil' });
  const good = await Client.connect(s.address, { token: TOKEN, name: 'good' });
  t.teardown(async () => { await evil.close(); await good.close(); });
  const toEvil = listen(evil);
  const toGood = listen(good);
  evil.publish('h/m4l', 'x'.repeat(10_000));
  const w = await toEvil.next(1);
  t.match(w, { kind: 'publish-refused', about: 'h/m4l', active: true });
  t.match(w.text, /^publish on topic h\/m4l refused: its value is about 100\d\d bytes, more than the 2048 one topic may hold \(--max-topic-bytes\)$/);
  // good's own refusal comes after any warning about evil's publish would have: it hears only its own.
  good.publish('other', 'y'.repeat(10_000));
  const own = await toGood.next(1);
  t.equal(own.about, 'other');
  t.same(toGood.heard.map((h) => h.about), ['other'], 'the other client heard nothing of evil\'s publish');
  await until(() => /publish on topic other refused/.test(s.stderr()), 'the second refusal in the scheduler\'s log');
  t.match(s.stderr(), /publish on topic h\/m4l refused: its value is about 100\d\d bytes.* \(from client evil\)/, 'the scheduler\'s log names the topic and the client');
  t.equal(toEvil.heard.length, 1, 'evil was told once');
});
