/**
 * The decisions about a chunked message being received (reassembly.ts), as pure functions, and a
 * Connection taking memory as pieces arrive rather than as a header announces.
 */
import t from 'tap';
import {
  capacityFor, claimsWhole, connect, encodeFrame, HEADER_CLAIM_BUDGET_BYTES, headerClaimBytes, headerRefusal, listen, overrun, stallReason,
  type Connection, type Reassembly,
} from '@gluon/protocol';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

t.test('a header is refused when malformed or over the budget, and otherwise claims nothing', async (t) => {
  t.same(headerRefusal(0, MiB), { tooLarge: false, reason: '"chunked" needs "bytes": a positive integer, got 0' });
  t.same(headerRefusal('9', MiB), { tooLarge: false, reason: '"chunked" needs "bytes": a positive integer, got "9"' });
  t.same(headerRefusal(undefined, MiB), { tooLarge: false, reason: '"chunked" needs "bytes": a positive integer, got undefined' });
  t.same(headerRefusal(MiB + 1, MiB), { tooLarge: true, reason: `message of ${MiB + 1} bytes exceeds the limit of ${MiB} bytes` });
  t.equal(headerRefusal(MiB, MiB), null);
  const r: Reassembly = { bytes: MiB, filled: 0, heardAt: 0 };
  t.equal(capacityFor(r, 0, 0), 0, 'before any piece, no capacity is needed');
});

t.test('the buffer grows with what arrived, at least doubling, never past the announced size', async (t) => {
  const r: Reassembly = { bytes: 1000, filled: 0, heardAt: 0 };
  let cap = 0;
  let copied = 0;
  const caps: number[] = [];
  const wrong: string[] = [];
  // One byte at a time: each grow copies what arrived, all of them less than twice the message.
  for (let i = 0; i < 1000; i++) {
    const next = capacityFor(r, cap, 1);
    if (next > cap) {
      copied += r.filled;
      caps.push(next);
      if (next > 2 * (r.filled + 1)) wrong.push(`capacity ${next} for ${r.filled + 1} bytes`);
      cap = next;
    }
    const over = overrun(r, 1);
    if (over) wrong.push(over);
    r.filled += 1;
  }
  t.same(wrong, [], 'never more than twice what arrived, and no piece overran');
  t.same(caps, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000], 'doubling, capped at the announced size');
  t.ok(copied < 2 * 1000, `the grows copied ${copied} bytes in all, less than twice the message`);
  t.equal(overrun(r, 1), 'chunk overruns its message: 1001 bytes of a 1000-byte message');
  const big: Reassembly = { bytes: 1000, filled: 0, heardAt: 0 };
  t.equal(capacityFor(big, 0, 600), 600, 'a first piece larger than nothing doubled takes its own size');
  big.filled = 600;
  t.equal(capacityFor(big, 600, 400), 1000, 'the last piece fills the announced size exactly');
});

t.test('a message stalls when no piece came within the limit, named with how far it got', async (t) => {
  const r: Reassembly = { bytes: 64 * MiB, filled: 3 * MiB, heardAt: 1_000 };
  t.same(stallReason(r, 1_000, 500), { waitMs: 500 }, 'just heard: wait the whole limit');
  t.same(stallReason(r, 1_300, 500), { waitMs: 200 }, 'part-way: wait what is left');
  t.same(stallReason(r, 1_500, 500), { reason: `chunked message of ${64 * MiB} bytes stalled: ${3 * MiB} came, then nothing for 500 ms (limit 500 ms)` });
  r.heardAt = 1_400;
  t.same(stallReason(r, 1_500, 500), { waitMs: 400 }, 'a new piece starts the wait again');
});

t.test('headers claim whole buffers within the process\'s budget, and past it take memory as pieces arrive', async (t) => {
  t.ok(claimsWhole(HEADER_CLAIM_BUDGET_BYTES, 0), 'one message of the whole budget');
  t.notOk(claimsWhole(GiB + 1, GiB), 'not past it');
  const accepted: Connection[] = [];
  const server = await listen({ self: 'scheduler', roles: ['client'], log: () => {}, welcome: () => ({ clientId: 'c' }), onConnection: (conn) => accepted.push(conn) });
  t.teardown(() => server.close());
  const open = async () => {
    const { conn } = await connect(server.address, { role: 'client' }, { log: () => {} });
    t.teardown(() => conn.close());
    return conn;
  };
  /** Sends a WebSocket ping and resolves on its pong: the frames before it were handled. */
  const pong = (conn: Connection) => new Promise<void>((resolve) => { conn.ws.once('pong', () => resolve()); conn.ws.ping(); });
  const header = (conn: Connection) => conn.ws.send(encodeFrame([{ op: 'chunked', bytes: GiB }]), { binary: true });
  const held = () => process.memoryUsage().arrayBuffers;
  const base = held();
  const [a, b, c, d] = [await open(), await open(), await open(), await open()];
  header(a);
  header(b);
  await Promise.all([pong(a), pong(b)]);
  t.ok(held() - base > 2 * GiB - 64 * MiB, 'two headers of 1 GiB get their whole buffers (address space; no page is touched yet)');
  header(c);
  header(d);
  await Promise.all([pong(c), pong(d)]);
  t.ok(held() - base < 2 * GiB + 64 * MiB, `two more take nothing: the budget is spent (${((held() - base) / MiB).toFixed(0)} MiB in all)`);
  d.ws.send(Buffer.alloc(2 * MiB, 1), { binary: true });
  await pong(d);
  t.ok(held() - base < 2 * GiB + 64 * MiB, `a 2 MiB piece of one of them takes about that (${((held() - base) / MiB).toFixed(0)} MiB in all)`);
  // The first's claim goes with its connection (as the listener sees it close); a new header may have it.
  const gone = new Promise((resolve) => accepted[0]!.on('close', resolve));
  a.close();
  await gone;
  const e = await open();
  // Counted as claims, not as arrayBuffers: the closed connection's 1 GiB buffer stays in
  // arrayBuffers until a collection frees it, and allocating e's 1 GiB can start that collection
  // in between (it did on Node 24 in a full suite: the difference was ~0).
  const before = headerClaimBytes();
  header(e);
  await pong(e);
  t.equal(headerClaimBytes() - before, GiB, 'a header gets its whole buffer again once the first connection let its claim go');
});

t.test('a process that was itself stalled reads the pieces waiting in its socket before judging a stall', async (t) => {
  // Before, the stall timer, run late as the loop woke, judged first: the peer's piece, sent
  // before the stall and waiting unread, counted as nothing ('0 came'), and an honest peer was
  // dropped by a scheduler that had been stopped for longer than the limit.
  const stallMs = 300;
  const accepted: Connection[] = [];
  const server = await listen({ self: 'scheduler', roles: ['client'], log: () => {}, welcome: () => ({ clientId: 'c' }), pieceStallMs: stallMs, onConnection: (conn) => accepted.push(conn) });
  t.teardown(() => server.close());
  const { conn } = await connect(server.address, { role: 'client' }, { log: () => {} });
  t.teardown(() => conn.close());
  await new Promise<void>((resolve) => { conn.ws.once('pong', () => resolve()); conn.ws.ping(); });
  const theirs = accepted[0]!;
  const closed = new Promise<string>((resolve) => theirs.on('close', (_code: number, reason: string) => resolve(reason)));
  conn.ws.send(encodeFrame([{ op: 'chunked', bytes: 4 * MiB }]), { binary: true });
  await new Promise<void>((resolve) => { conn.ws.once('pong', () => resolve()); conn.ws.ping(); }); // the header is in: its timer runs
  conn.ws.send(Buffer.alloc(64 * 1024, 1), { binary: true }, () => {
    // The piece is in the kernel; now this whole process (the listener too) stops past the limit.
    const until = Date.now() + 3 * stallMs;
    while (Date.now() < until) { /* a stalled process */ }
  });
  // Nothing more comes: the message does stall, and the piece waiting during the stall counts.
  t.match(await closed, /^chunked message of 4194304 bytes stalled: 65536 came, then nothing for \d+ ms \(limit 300 ms\)$/);
});
