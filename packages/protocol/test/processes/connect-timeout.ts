/**
 * A connection attempt that gets no answer says how far it got: no TCP connection at all (a
 * firewall dropping the packets, a host down or cut off) or a TCP connection on which nothing
 * answered (a stalled process). Both said 'no handshake answer' before, which sent the user
 * looking at the peer when the network was at fault (found by the across-hosts trial: iptables
 * DROP on a worker's data port gave 'could not fetch …: no handshake answer from peer …').
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import t from 'tap';
import { connect, HandshakeError } from '@gluon/protocol';

/** connect() that must fail; resolves with its HandshakeError. */
async function refused(url: string, timeoutMs: number): Promise<HandshakeError> {
  const err = await connect(url, { role: 'peer' }, { timeoutMs, log: () => {} }).then(({ conn }) => { conn.close(); return null; }, (e: unknown) => e);
  if (!(err instanceof HandshakeError)) throw new Error(`expected a HandshakeError, got ${String(err)}`);
  return err;
}

t.test('no TCP connection: the connection requests went unanswered', async (t) => {
  // A listener whose accept queue is full drops further connection requests (SYNs) without an
  // answer, as a firewall's DROP does: a stopped process listening with a backlog of 1, and two
  // connections queued (the kernel completes those without the process).
  const child = spawn(process.execPath, ['-e', "const s = require('net').createServer(() => {}); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d)))));
  process.kill(child.pid!, 'SIGSTOP');
  const queued = [0, 1].map(() => net.connect(port, '127.0.0.1'));
  t.teardown(() => { for (const s of queued) s.destroy(); });
  await Promise.all(queued.map((s) => new Promise((r) => s.once('connect', r))));
  const e = await refused(`ws://127.0.0.1:${port}`, 1500);
  t.equal(e.message, `no answer from ws://127.0.0.1:${port} within 1500 ms: the TCP connection was never established (nothing answered its connection requests: a firewall dropping them, or a host that is down or cut off)`);
});

t.test('a TCP connection on which nothing answers: said so', async (t) => {
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => { silent.close(); });
  const port = (silent.address() as net.AddressInfo).port;
  const held: net.Socket[] = [];
  silent.on('connection', (s) => held.push(s));
  t.teardown(() => { for (const s of held) s.destroy(); });
  const e = await refused(`ws://127.0.0.1:${port}`, 1500);
  t.equal(e.message, `no answer from ws://127.0.0.1:${port} within 1500 ms: the TCP connection was made, but no TLS or WebSocket answer came (a stalled process, or not a Gluon listener)`);
});
