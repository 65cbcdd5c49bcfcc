import type { TaskSpec } from '@gluon/protocol';
import type { Command } from './outbox.js';
import { downstream, erredUpstream, missingDependency, newTask } from './graph.js';
import { isWanted } from './lineage.js';
import { keyedRecord, ClientRecord, RefLedger, TaskRecord, type WorkerRecord } from './records.js';
import { shortKey } from './log-line.js';
import { RefusalLog } from './refusals.js';
import { addressList, holderWait, holderWaitText } from './recovery.js';
import { wantedTasks } from './wants.js';
import { Retirement } from './retirement.js';
import { CANCELLED, MEMORY } from './progress-state.js';
import { keptForOthers } from './cancel-scope.js';
import { missingDependencyError, overLong, overLongKeyError, overLongKeys, refusedKeysText, refusedTasksText } from './key-refusals.js';

/**
 * Client sessions: a client connects and disconnects (its references go with it), sends its
 * graph and what it wants, releases keys, says what it received, cancels, retries, asks who has
 * a result and publishes.
 */
export abstract class ClientSessions extends Retirement {
  clientConnected(id: string, name: string, now: number): Command[] {
    // O(1) whatever the others hold (client-refs.ts): a storm of connecting clients walks nothing.
    this.clients.set(id, new ClientRecord(id, name, this.refLedger));
    this.addLog(now, 'client-connected', `client ${name} connected`);
    // A client arriving while the cluster is stuck is told too.
    this.tellNotices(id);
    return this.flush();
  }

  /**
   * The client's connection was lost and its work is kept until `until` for its return (the
   * server's session grace); it ends with {@link clientDisconnected}, whether it came back (its
   * old id is retired) or not. Only said of it when others' tasks wait behind its own (lost-client-wait.ts).
   */
  clientLost(id: string, now: number, until: number): void {
    const client = this.clients.get(id);
    if (client) this.lostClients.set(id, { name: client.name, since: now, until });
  }

  /** The client is gone: all its references are dropped now (see {@link forgetClient} for slices). */
  clientDisconnected(id: string, now: number): Command[] {
    return this.forgetClient(id, now, Infinity).commands;
  }

  /**
   * The client is gone: drops up to `max` of its references (its last held tasks first), and
   * forgets what nobody else needs. `left` is how many tasks it still holds; at 0 the client is
   * forgotten and the event log says so. Its references keep their tasks until their slice: the
   * server drops a slice per turn of its event loop, as it releases big releases
   * (release-backlog.ts), so a client leaving with 1M keys held stalls no other peer's message.
   */
  forgetClient(id: string, now: number, max: number): { commands: Command[]; left: number } {
    this.lostClients.delete(id);
    const client = this.clients.get(id);
    if (!client) return { commands: this.flush(), left: 0 };
    const slice = client.heldTasks(max);
    for (const ts of slice) {
      client.drop(ts);
      this.releaseIfUnneeded(ts);
    }
    client.forgotten += slice.length;
    if (client.heldCount > 0) return { commands: this.flush(), left: client.heldCount };
    this.clients.delete(id);
    client.leave(this.clients.size === 1 ? this.clients.values().next().value : undefined);
    this.addLog(now, 'client-disconnected', `client ${client.name} disconnected; released ${client.forgotten} keys`);
    return { commands: this.flush(), left: 0 };
  }

  /** Which client keeps its references as a list (client-refs.ts). */
  private readonly refLedger = new RefLedger();

  /**
   * Adds tasks (keys already in the graph are reused) and gives the client a reference on each
   * key in `wants`. Unknown dependencies fail the task that names them. `held` and `workers` (a
   * reconnecting client re-sending its graph, in its first frame): where it saw results in memory,
   * key → worker addresses, and every worker its scheduler had told it of (see {@link awaitHolders}).
   * `resend`: this frame is part of what a reconnecting client re-sends (every frame of it says
   * so, protocol 14).
   */
  updateGraph(clientId: string, specs: TaskSpec[], wants: string[], now: number, held?: Record<string, string[]>, workers?: string[], resend = false): Command[] {
    const client = this.clients.get(clientId);
    const gen = ++this.generation;
    const fresh: TaskRecord[] = [];
    // The frame's new records in order, for its wants (see wantedTasks).
    const made: TaskRecord[] = [];
    // Keys over the protocol's bound: their tasks fail alone, never stored (key-refusals.ts).
    let long: Set<string> | null = null;
    let inFrame: Set<string> | undefined;
    for (const spec of specs) {
      if (overLong(spec.key)) {
        (long ??= new Set()).add(spec.key);
        continue;
      }
      if (this.tasks.has(spec.key)) continue;
      const ts = newTask(spec, this.tasks, this.groups, gen, this.seq++);
      const missing = ts.deps.length < spec.deps.length ? missingDependency(spec, this.tasks) : null;
      this.tasks.set(ts.key, ts);
      made.push(ts);
      if (missing !== null) {
        // Rare (a client puts tasks after their dependencies): the frame's keys, once per frame.
        inFrame ??= new Set(specs.map((s) => s.key));
        this.fail(ts, missingDependencyError(spec.key, missing, inFrame.has(missing)), now);
      }
      else fresh.push(ts);
    }
    long = overLongKeys(wants, long);
    if (long) this.refuseKeys(clientId, 'update-graph', long, now);
    const wanted = wantedTasks(wants, made, this.tasks);
    if (client) {
      for (const ts of wanted) {
        const key = ts.key;
        client.hold(ts);
        if (ts.state === 'memory') this.notifyMemory(ts, ts.inline ?? undefined, client);
        else {
          ts.valueWithClients = false; // this client has not got it, whatever the others have
          if (ts.state === 'erred') this.send({ client: clientId }, { op: 'task-erred', key, error: ts.error });
        }
      }
    }
    // A reconnecting client names the workers it knew: wait for those not back rather than recompute.
    if (held || workers) this.awaitHolders(clientId, held, workers, now);
    // Fresh tasks run only when something wants them: a client, or a wanted dependent. Beyond
    // the idle threads they are handed out by fillAll, a worker's share in one message.
    this.idleThreadsOnly = true;
    // Only the graph a reconnecting client re-sends takes results claimed from before a restart
    // (compute): each of its frames says so (only the first names where it saw results and the
    // workers it knew). Not the same client's later graphs: a client that once re-sent its graph
    // was taken for re-sending for as long as it stayed connected, so its new tasks took workers'
    // claims of any keys they named, as no other client's may.
    this.resending = resend || held !== undefined || workers !== undefined;
    try {
      for (const ts of fresh) if (ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
      for (const ts of wanted) if (ts.state === 'released') this.compute(ts);
    } finally {
      this.idleThreadsOnly = false;
      this.resending = false;
    }
    this.fillAll();
    // Tasks of a module no worker accepts: told now (they wait or fail), not at the next tick.
    if (this.held.size) this.judgeAll(now);
    return this.flush();
  }

  /**
   * Hints from a reconnecting client: where it saw results, and every worker it knew of (see
   * recovery.ts {@link holderWait}). Those neither registered here nor seen leaving are waited for,
   * at most `holderWaitMs` after the first client named any (Recovery.expectNamed); those seen leaving the client is told have left, so it stops naming them.
   */
  protected awaitHolders(clientId: string, held: Record<string, string[]> | undefined, workers: string[] | undefined, now: number): void {
    const live = new Set<string>();
    for (const ws of this.workers.values()) live.add(ws.address);
    const gone = new Set<string>();
    for (const ws of this.goneWorkers) gone.add(ws.address);
    const wait = holderWait(held, workers, live, gone);
    if (this.clients.has(clientId)) for (const address of wait.left) this.send({ client: clientId }, { op: 'worker-left', address });
    if (wait.missing.length === 0) return;
    if (this.recovery.expectNamed(wait.missing, clientId, now)) this.addLog(now, 'info', holderWaitText(wait, this.config.holderWaitMs), true);
    else {
      this.addLog(now, 'info', `a reconnecting client named ${wait.missing.length} worker(s) not registered here after the wait for a restart's `
        + `workers ended ${now - this.recovery.namedWaitEnd!} ms ago; not waiting for them: ${addressList(wait.missing)}`);
    }
  }

  /** Who was told of the over-long keys they named, and when (see refusals.ts). */
  private readonly refusedKeys = new RefusalLog<ClientRecord>();

  /**
   * A client named keys over the protocol's bound (key-refusals.ts): in an update-graph, each is
   * told as a task that failed (`task-erred` of the key as sent); in another op (which the server
   * hands the rest of its keys), in a `warning` of kind `key-refused` about that op. The log says
   * so at most once a minute per client, as for refused publishes.
   */
  keysRefused(clientId: string, op: string, keys: ReadonlySet<string>, now: number): Command[] {
    this.refuseKeys(clientId, op, keys, now);
    return this.flush();
  }

  private refuseKeys(clientId: string, op: string, keys: ReadonlySet<string>, now: number): void {
    const client = this.clients.get(clientId);
    if (!client) return;
    let text: string;
    if (op === 'update-graph') {
      for (const key of keys) this.send({ client: clientId }, { op: 'task-erred', key, error: overLongKeyError(key) });
      text = refusedTasksText(client.name, keys);
    } else {
      const told = refusedKeysText(op, keys);
      this.send({ client: clientId }, { op: 'warning', kind: 'key-refused', active: true, text: told, about: op });
      text = `client ${client.name}: ${told}`;
    }
    const n = this.refusedKeys.refused(client, now);
    if (n === 1) this.addLog(now, 'info', text, true);
    else if (n > 1) this.addLog(now, 'info', `${n} more messages from client ${client.name} named keys over the bound since its last such line (the latest: ${text})`, true);
  }

  /** The client drops its references; results nobody needs are freed on the workers. */
  releaseKeys(clientId: string, keys: string[]): Command[] {
    const client = this.clients.get(clientId);
    if (!client) return this.flush();
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (!ts) continue;
      if (client.drop(ts, 1) === 0) continue;
      this.releaseIfUnneeded(ts);
    }
    // Forgetting running tasks frees worker slots: hand them queued work now.
    this.fillAll();
    return this.flush();
  }

  /**
   * The client fetched these keys' values from the workers and keeps them: should their last
   * copy be lost, they are not recomputed for this client. Keys it does not hold are ignored.
   */
  clientReceived(clientId: string, keys: string[]): Command[] {
    const client = this.clients.get(clientId);
    if (!client) return this.flush();
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (ts && client.refsOn(ts) > 0) client.received.add(ts);
    }
    return this.flush();
  }

  /**
   * A client cancels tasks and everything depending on them: its references on those not
   * finished are dropped and it is told (`cancelled`); they stop unless another client still
   * wants them, itself or through a dependent (cancel-scope.ts).
   */
  cancel(clientId: string, keys: string[], now: number): Command[] {
    const canceller = this.clients.get(clientId);
    const seen = downstream(this.known(keys));
    const kept = keptForOthers(seen, canceller);
    let stopped = 0;
    for (const ts of seen) {
      if (ts.state === 'memory') continue;
      if (canceller && canceller.drop(ts) > 0) this.send({ client: clientId }, { op: 'cancelled', key: ts.key });
      if (kept.has(ts)) continue;
      // Counted as cancelled from here on (progress-state.ts), unless it had finished before or
      // is released already (counted nowhere: it would leave a count it was never in).
      if (ts.outcome !== MEMORY && ts.state !== 'released') ts.outcome = CANCELLED;
      this.toReleased(ts);
      stopped++;
    }
    for (const ts of seen) this.releaseIfUnneeded(ts);
    if (seen.size) {
      const who = canceller ? `client ${canceller.name}` : 'a client';
      const others = kept.size ? `; ${kept.size} go on: other clients want them` : '';
      this.addLog(now, 'info', `${who} cancelled ${stopped} task(s) starting at ${shortKey(keys[0]!)}${others}`);
    }
    this.fillAll();
    return this.flush();
  }

  /** Erred tasks (and the erred tasks they depend on) run again; the clients holding them are told. */
  retry(keys: string[], now: number): Command[] {
    const roots: TaskRecord[] = [];
    for (const ts of erredUpstream(this.known(keys))) {
      this.setState(ts, 'released');
      ts.valueWithClients = false;
      for (const c of this.clients.values()) c.received.delete(ts);
      ts.error = null;
      ts.retriesUsed = 0;
      ts.deaths = 0;
      ts.threadDeaths = 0;
      roots.push(ts);
      // Every client holding it is told, not only the one retrying: another's future would keep
      // the old error while the task ran again, and its result() reject with it.
      if (ts.clientRefs === 0) continue;
      for (const c of this.clients.values()) if (c.refsOn(ts) > 0) this.send({ client: c.id }, { op: 'task-retried', key: ts.key });
    }
    for (const ts of roots) this.compute(ts);
    if (roots.length) this.addLog(now, 'retry', `retrying ${roots.length} erred task(s) from ${keys[0]}`);
    this.fillAll();
    return this.flush();
  }

  /** The tasks of these keys that the graph has. */
  protected known(keys: string[]): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const k of keys) {
      const ts = this.tasks.get(k);
      if (ts) out.push(ts);
    }
    return out;
  }

  whoHas(keys: string[]): Record<string, string[]> {
    const out = keyedRecord<string[]>();
    for (const k of keys) {
      const ts = this.tasks.get(k);
      out[k] = ts && ts.state === 'memory' ? ts.holders.map((w) => w.address) : [];
    }
    return out;
  }

  /** Who was told of their refused publishes, and when (see refusals.ts). */
  private readonly refusedPublishes = new RefusalLog<ClientRecord | WorkerRecord>();

  /**
   * A client (or a task, through its worker) publishes a value on a topic. Beyond a bound of
   * topics.ts it is refused, and the topic keeps what it had: a client is told why (a `warning`
   * of kind `publish-refused` about that topic, to it alone); the log says so for either,
   * at most once a minute per publisher.
   */
  publish(from: Command['to'], topic: string, value: unknown, now: number): Command[] {
    const why = this.published.publish(topic, value);
    if (why === null) {
      this.emit({ kind: 'publish', topic, value, time: now });
      return this.flush();
    }
    const who = 'client' in from ? this.clients.get(from.client) : this.workers.get(from.worker);
    if (!who) return this.flush();
    const text = `publish on topic ${shortKey(topic)} refused: ${why}`;
    if ('client' in from) this.send(from, { op: 'warning', kind: 'publish-refused', active: true, text, about: shortKey(topic) });
    const n = this.refusedPublishes.refused(who, now);
    const fromText = 'client' in from ? `client ${who.name}` : `a task on worker ${who.name}`;
    if (n === 1) this.addLog(now, 'info', `${text} (from ${fromText})`, true);
    else if (n > 1) this.addLog(now, 'info', `${n} more publishes from ${fromText} refused since its last such line (the latest: ${text})`, true);
    return this.flush();
  }
}
