import t from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { until } from '../helpers/until.js';

t.test('until: a condition met by I/O that arrived while the test process was not running is seen, not timed out', async (t) => {
  // A starved test process wakes up in the event loop's timers phase, before the poll phase that
  // would read what arrived meanwhile: the deadline has passed, the condition is not yet true.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  t.teardown(() => { client.destroy(); peer.destroy(); });
  let got = false;
  peer.on('data', () => { got = true; });
  const waiting = until(() => got, 'the byte', 100, 10);
  client.write('x');
  // The process descheduled past the deadline, as a loaded machine does (the byte is in the kernel).
  const stop = Date.now() + 300;
  while (Date.now() < stop) { /* busy */ }
  await t.resolves(waiting, 'the byte that arrived before the deadline counts');
});

t.test('until: a condition never met still times out, naming it and the bound', async (t) => {
  await t.rejects(until(() => false, 'nothing', 50, 10), /^nothing: not within 0 s$/);
});
