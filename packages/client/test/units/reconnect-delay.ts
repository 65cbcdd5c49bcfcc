/**
 * How long a reconnecting client waits between attempts (clientReconnectDelay, the pure schedule
 * Client.reconnect follows): a scheduler that comes back is found at most one wait after it
 * listens again. The client used the workers' schedule, whose waits reach 5 s: a restarted
 * scheduler was found up to ~6 s late.
 */
import t from 'tap';
import { reconnectDelay } from '@gluon/protocol';
import { clientReconnectDelay } from '../../src/reconnect.js';
import { DEFAULT_RECONNECT_TIMEOUT_MS } from '../../src/connect-options.js';

/** The waits a schedule makes over `windowMs` of unreachability, as the reconnect loop adds them up. */
function waits(next: (unreachableForMs: number, previousMs: number) => number, windowMs: number): number[] {
  const out: number[] = [];
  let elapsed = 0;
  let d = 0;
  for (let i = 0; i < 100_000 && elapsed < windowMs; i++) {
    d = next(elapsed, d);
    out.push(d);
    elapsed += d;
  }
  return out;
}

t.test('a client waits at most 500 ms between attempts over its whole reconnect window; workers still back off to 5 s', async (t) => {
  const client = waits(clientReconnectDelay, DEFAULT_RECONNECT_TIMEOUT_MS);
  t.equal(Math.max(...client), 500, 'a scheduler back after any outage is found within 500 ms of listening (plus the attempt)');
  t.ok(client.slice(0, 100).every((d) => d === 20), 'every 20 ms for the first 2 s, as before');
  t.same(client.filter((d) => d !== 20).slice(0, 4), [100, 200, 400, 500], 'then doubling from 100 ms, capped');
  t.ok(client.length < 800, `bounded: ${client.length} attempts in ${DEFAULT_RECONNECT_TIMEOUT_MS / 60_000} min`);
  t.equal(Math.max(...waits(reconnectDelay, DEFAULT_RECONNECT_TIMEOUT_MS)), 5000, 'the workers\' schedule is unchanged');
});

t.test('reconnectDelay: a cap below the first backed-off wait holds from the start', async (t) => {
  t.equal(reconnectDelay(5_000, 20, 50), 50);
  t.equal(reconnectDelay(5_000, 50, 50), 50);
  t.equal(reconnectDelay(1_000, 0, 50), 20, 'the flat 20 ms first');
});
