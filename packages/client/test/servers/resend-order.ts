/**
 * After its scheduler restarts, a client re-sends its graph to a scheduler that knows nothing:
 * every task it sends on the new connection must come after the tasks it depends on, or that
 * scheduler fails it with UnknownDependencyError. Checked here where it is hardest: a tree
 * reduction built as it is sent, its inputs released at the call, so that each input is let go
 * as soon as the node naming it is built, while built nodes may still wait to be sent. A fake
 * scheduler (no worker, no timer) cuts the first connection after a given number of frames and
 * records the second; every cut point from before the tree to its end is tried.
 */
import t, { type Test } from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Connection, Message } from '@gluon/protocol';
import { Client, remoteFrom, type Future } from '@gluon/client';
import { fakeScheduler } from '../fake-scheduler.js';

const here = dirname(fileURLToPath(import.meta.url));
const { inc, noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { sumAll } = remoteFrom<typeof import('../fixtures/tasks.mjs')>(pathToFileURL(join(here, '../fixtures/tasks.mjs')));

type Spec = { key: string; deps: string[]; args: unknown[] };

/**
 * Runs the tree with the first connection cut after `cutAfter` update-graph frames; returns the
 * root's future and what the second connection was sent, in order.
 */
async function resentAfterCut(t: Test, cutAfter: number): Promise<{ total: Future; specs: Spec[]; wants: Set<string>; resend: boolean[] }> {
  let frames = 0;
  let first: Connection | undefined;
  const specs: Spec[] = [];
  const wants = new Set<string>();
  /** Each frame the second connection got: whether it says resend. */
  const resend: boolean[] = [];
  let secondSeen!: () => void;
  const second = new Promise<void>((r) => (secondSeen = r));
  let endSeen!: () => void;
  const end = new Promise<void>((r) => (endSeen = r));
  const server = await fakeScheduler(t, (conn, m: Message) => {
    if (m.op !== 'update-graph') return;
    first ??= conn;
    if (conn === first) {
      if (++frames === cutAfter) conn.close(1012, 'restarting');
      return;
    }
    secondSeen();
    resend.push(m.resend === true);
    for (const w of m.wants as string[]) wants.add(w);
    for (const s of m.tasks as Spec[]) {
      specs.push(s);
      if (s.args[0] === 'end') endSeen();
    }
    // A restarted scheduler (another id), and a worker the client knew: it names it when it re-sends.
  }, (n) => ({ schedulerId: `s${n}`, ...(n === 1 ? { workers: ['ws://127.0.0.1:9'] } : {}) }));
  const client = await Client.connect(server.address, { graphSliceTasks: 200, reconnectTimeoutMs: 60_000 });
  t.teardown(() => client.close());
  const leaves = client.map(inc, Array.from({ length: 4000 }, (_, i) => i));
  // Fan-in 2: ~4,000 nodes after the 4,000 leaves (20 frames of 200), 20 frames more.
  const total = client.treeReduce(sumAll, leaves, { fanIn: 2 });
  client.release(leaves);
  // Reconnected: the rest of the tree goes to the second connection; a task queued once it has
  // all left marks the end of what that connection gets.
  await second;
  await client.whenSent();
  client.submit(noop, 'end');
  await end;
  t.equal(client.reconnects, 1, 'one reconnect');
  return { total, specs, wants, resend };
}

// Before the tree (its leaves still being sent), its first frames, the middle, and past its end.
for (const cutAfter of [5, 21, 25, 30, 41]) {
  t.test(`cut after ${cutAfter} frames: the new scheduler gets every task after its dependencies`, async (t) => {
    const { total, specs, wants, resend } = await resentAfterCut(t, cutAfter);
    const known = new Set<string>();
    const late: string[] = [];
    for (const s of specs) {
      for (const d of s.deps) if (!known.has(d)) late.push(`${s.key} before ${d}`);
      known.add(s.key);
    }
    t.same(late.slice(0, 5), [], `${specs.length} tasks sent; none ahead of a dependency (${late.length} were)`);
    t.ok(known.has(total.key) && wants.has(total.key), 'the root is sent, wanted');
    // The re-sent lineage and the rest of the tree queued before the cut say so in every frame
    // (the scheduler lets them, and no later graph, take what its workers held from before); the
    // task submitted afterwards does not.
    t.same(resend.slice(0, -1).filter((r) => !r).length, 0, `every frame but the last of ${resend.length} says resend`);
    t.equal(resend.at(-1), false, 'the task submitted after the reconnect does not');
  });
}
