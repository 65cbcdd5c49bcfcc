/**
 * A listener speaking the scheduler's side of the client protocol, so that a test sees exactly
 * what the client sends, in order: every message but the slices' `who-has` markers (answered at
 * once, with nothing) goes to `onMessage`. Closed when the test ends.
 */
import type { Test } from 'tap';
import { listen, type Connection, type Message } from '@gluon/protocol';

export async function fakeScheduler(
  t: Test, onMessage: (conn: Connection, m: Message) => void,
  /** More fields for the welcome of the nth connection (from 1). */
  welcome: (n: number) => Record<string, unknown> = () => ({}),
) {
  let n = 0;
  const server = await listen({
    host: '127.0.0.1', port: 0, self: 'test scheduler', roles: ['client'],
    welcome: () => ({ clientId: `c${++n}`, heartbeatTtlMs: 600_000, ...welcome(n) }),
    onConnection(conn: Connection) {
      conn.on('message', (m: Message) => {
        if (m.op === 'who-has') conn.reply(m, { op: 'who-has-reply', whoHas: {} });
        else onMessage(conn, m);
      });
    },
  });
  t.teardown(() => server.close());
  return server;
}
