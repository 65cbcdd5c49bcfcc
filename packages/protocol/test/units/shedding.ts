/**
 * The shedding decisions without sockets (shedding.ts): which unauthenticated connections a
 * listener closes for a new one, and the one log line per burst.
 */
import t from 'tap';
import { BURST_LINE_EVERY_MS, BURST_QUIET_MS, connectionsToShed, DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS, ShedTally, unauthenticatedBound, type ShedInput } from '@gluon/protocol';

interface C { listener: string; n: number }

/** The decision for `arrived` (appended) given what each listener holds, oldest first by `n`. */
function decide(held: C[], arrived: C, bound: number, descriptorLeft: boolean, headroom = 8): { overBound: number[]; forDescriptors: number[] } {
  const everywhere = [...held, arrived];
  const here = everywhere.filter((c) => c.listener === arrived.listener);
  const input: ShedInput<C> = { arrived, here, hereCount: here.length, bound, descriptorLeft, everywhere, headroom };
  const choice = connectionsToShed(input);
  return { overBound: choice.overBound.map((c) => c.n), forDescriptors: choice.forDescriptors.map((c) => c.n) };
}

const on = (listener: string, ...ns: number[]): C[] => ns.map((n) => ({ listener, n }));

t.test('within the bound and with descriptors left, nothing is closed', async (t) => {
  t.same(decide(on('a', 1, 2, 3), { listener: 'a', n: 4 }, 4, true), { overBound: [], forDescriptors: [] });
  t.same(decide([], { listener: 'a', n: 1 }, 1, true), { overBound: [], forDescriptors: [] }, 'the one connection of a bound of 1 stays');
});

t.test('past the bound, the listener\'s oldest go, never the arrived one nor another listener\'s', async (t) => {
  const held = [...on('b', 0), ...on('a', 1, 2, 3), ...on('b', 4)];
  t.same(decide(held, { listener: 'a', n: 5 }, 3, true), { overBound: [1], forDescriptors: [] });
  t.same(decide(held, { listener: 'a', n: 5 }, 1, true), { overBound: [1, 2, 3], forDescriptors: [] }, 'down to the arrived one alone');
});

t.test('N+k arrivals one at a time leave exactly the newest N', async (t) => {
  const N = 5;
  let held: C[] = [];
  for (let n = 0; n < N + 7; n++) {
    const arrived = { listener: 'a', n };
    const { overBound } = decide(held, arrived, N, true);
    held = [...held, arrived].filter((c) => !overBound.includes(c.n));
  }
  t.same(held.map((c) => c.n), [7, 8, 9, 10, 11]);
});

t.test('with no descriptor left, the process\'s oldest go, from any listener, until the headroom is freed', async (t) => {
  const held = [...on('b', 0), ...on('a', 1, 2), ...on('b', 3, 4, 5)];
  t.same(decide(held, { listener: 'a', n: 6 }, 100, false, 4), { overBound: [], forDescriptors: [0, 1, 2, 3] });
  t.same(decide(held, { listener: 'a', n: 6 }, 2, false, 4), { overBound: [1], forDescriptors: [0, 2, 3] }, 'those past the bound count toward the headroom');
  t.same(decide(on('a', 1), { listener: 'a', n: 2 }, 100, false, 4), { overBound: [], forDescriptors: [1] }, 'as many as there are');
  t.same(decide([], { listener: 'a', n: 1 }, 100, false, 4), { overBound: [], forDescriptors: [] }, 'never the arrived one, even with nothing else to close');
});

t.test('reads no further than it needs (the oldest first)', async (t) => {
  let read = 0;
  function* counted(cs: C[]): Generator<C> {
    for (const c of cs) { read++; yield c; }
  }
  const many = on('a', ...Array.from({ length: 10_000 }, (_, i) => i));
  const arrived = { listener: 'a', n: 10_000 };
  const choice = connectionsToShed({ arrived, here: counted([...many, arrived]), hereCount: many.length + 1, bound: many.length, descriptorLeft: true, everywhere: counted([...many, arrived]), headroom: 8 });
  t.same(choice.overBound.map((c) => c.n), [0]);
  t.equal(read, 2, 'one read to choose, one to stop');
});

t.test('a burst is one line, once quiet, naming the listener and the counts', async (t) => {
  const tally = new ShedTally();
  t.equal(tally.dueAt(), undefined, 'nothing due outside a burst');
  const one = { overBound: [{}], forDescriptors: [] };
  for (let i = 0; i < 500; i++) tally.note(one, false, 10_000 + i);
  tally.note({ overBound: [], forDescriptors: [{}, {}, {}] }, false, 10_600);
  t.equal(tally.dueAt(), 10_600 + BURST_QUIET_MS);
  t.equal(tally.line(10_600 + BURST_QUIET_MS - 1, 'the scheduler\'s port ws://x:1', 8, 8), null, 'not before it is quiet');
  const line = tally.line(10_600 + BURST_QUIET_MS, 'the scheduler\'s port ws://x:1', 8, 8);
  t.match(line, /^the scheduler's port ws:\/\/x:1: closed 503 connections that had not authenticated .*the oldest first.*: 500 past its bound of 8 held before authenticating \(--max-unauthenticated-connections\), 3 because a new connection took the process's last file descriptor \(over 0\.6 s\); 8 unauthenticated held now, authenticated connections untouched$/);
  t.equal(tally.dueAt(), undefined, 'and the count starts again');
  t.equal(tally.line(20_000, 'x', 8, 8), null);
});

t.test('a burst that goes on is said once a minute; nothing to close is said too', async (t) => {
  const tally = new ShedTally();
  let now = 0;
  for (; now < BURST_LINE_EVERY_MS; now += 500) tally.note({ overBound: [{}], forDescriptors: [] }, false, now);
  t.equal(tally.dueAt(), BURST_LINE_EVERY_MS, 'due a minute after the burst began');
  t.match(tally.line(now, 'L', 4, 4), /closed 120 connections.*\(over 59\.5 s, still going on\)/);
  tally.note({ overBound: [], forDescriptors: [] }, true, now + 10);
  t.match(tally.line(now + 10 + BURST_QUIET_MS, 'L', 4, 0), /^L: 1 connection took the last file descriptor with no unauthenticated connection left to close \(raise the process's limit: ulimit -n\)/);
});

t.test('the bound: a whole number from 1, or the default', async (t) => {
  t.equal(unauthenticatedBound(undefined), DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS);
  t.equal(unauthenticatedBound(1), 1);
  t.throws(() => unauthenticatedBound(0), /maxUnauthenticatedConnections must be a whole number from 1, got 0/);
  t.throws(() => unauthenticatedBound(2.5, 'x'), new RangeError('x must be a whole number from 1, got 2.5'));
});
