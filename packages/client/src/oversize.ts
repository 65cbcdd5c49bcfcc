/**
 * A message to the scheduler over the message budget (ConnectOptions.maxMessageBytes): the
 * connection does not send it and hands it back. A graph update is split into parts that fit;
 * only the tasks that cannot fit fail, and those depending on them.
 */
import { encodedSize, tooLargeReason, type Connection, type Message, type TaskSpec } from '@gluon/protocol';

/** Room left for an update-graph's envelope when its tasks are split to fit a message budget. */
const ENVELOPE_BYTES = 4096;

/**
 * A message to the scheduler was over the message budget, so it was not sent. For a graph
 * update: every task whose own spec is over the budget fails at once (kind `too-large`, naming
 * the key, the size and the limit), and so do the tasks of the update that depend on it; the
 * rest is sent again in parts that fit, with the wants last, on `conn`. `fail` fails a key's
 * task with the message saying why.
 */
export function sendOversize(m: Message, bytes: number, limit: number, whose: string, conn: Connection, fail: (key: string, message: string) => void): void {
  if (m.op !== 'update-graph') {
    process.stderr.write(`gluon client: not sent: ${tooLargeReason(`a ${m.op} message`, bytes, limit, whose)}\n`);
    return;
  }
  const room = limit - ENVELOPE_BYTES;
  const failed = new Map<string, string>();
  const parts: TaskSpec[][] = [[]];
  let partBytes = 0;
  for (const spec of m.tasks as TaskSpec[]) {
    const bad = spec.deps.find((d) => failed.has(d));
    if (bad !== undefined) {
      failed.set(spec.key, `task ${spec.key} depends on ${bad}, which could not be submitted: ${failed.get(bad)}`);
      continue;
    }
    let n: number;
    try {
      n = encodedSize(spec);
    } catch {
      n = Infinity; // past what msgpack can build (4 GiB)
    }
    if (n > room) {
      failed.set(spec.key, tooLargeReason(`task ${spec.key} (its arguments)`, n, limit, whose));
      continue;
    }
    if (partBytes + n > room && parts.at(-1)!.length) {
      parts.push([]);
      partBytes = 0;
    }
    parts.at(-1)!.push(spec);
    partBytes += n;
  }
  for (const [key, message] of failed) fail(key, message);
  // Sent now, in order, before whatever followed the refused message.
  for (const tasks of parts) {
    if (tasks.length === 0) continue;
    conn.send({ op: 'update-graph', tasks, wants: [] });
    conn.flush();
  }
  const wants = (m.wants as string[]).filter((k) => !failed.has(k));
  if (wants.length) {
    conn.send({ op: 'update-graph', tasks: [], wants });
    conn.flush();
  }
}
