/**
 * The cluster conditions a client knows to be in force (the scheduler's `warning` messages, and
 * the client's own: `token-not-checked`, `waiting-for-workers`), each said on stderr as it begins
 * and ends and passed to the `onWarning` listeners. Kept apart from the client, which only routes
 * messages and connection events here.
 */
import { clientTokenUncheckedText, tokenUnchecked, type Message } from '@gluon/protocol';

/**
 * A condition of the cluster the scheduler reported (its `warning` message): why results may be
 * slow to come, as opposed to an error of a task. `memory-stall`: tasks wait and every worker
 * is paused for memory (over its memory limit, it starts nothing until it is below 90% of it).
 */
export interface ClusterWarning {
  kind: string;
  /** which condition of that kind, when several can be in force at once (an unreachable-peer's pair of workers). */
  about?: string;
  /** what the scheduler said, with its figures (workers, their memory and limits, tasks waiting). */
  text: string;
  /** when this client heard it (ms since epoch). */
  time: number;
}

/** A listener of {@link ClusterWarnings}: a condition began (`active`) or ended. */
export type WarningListener = (w: ClusterWarning & { active: boolean }) => void;

/** One client's warnings in force, by kind and `about`, and its listeners. */
export class ClusterWarnings {
  private readonly active = new Map<string, ClusterWarning>();
  private readonly listeners = new Set<WarningListener>();
  /** Whether stderr has said that the scheduler did not check this client's token (see tokenNotChecked). */
  private saidTokenUnchecked = false;

  /** The warnings in force now, in the order they began. */
  list(): ClusterWarning[] {
    return [...this.active.values()];
  }

  /** Whether a warning of `kind` (with no `about`) is in force. */
  has(kind: string): boolean {
    return this.active.has(`${kind}\n`);
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: WarningListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * This client gave a token the scheduler did not check (its welcome says it requires none):
   * a warning of kind `token-not-checked` in force while connected to it, said on stderr
   * once per client, not at each reconnect to the same open scheduler. Listeners hear it again
   * after a reconnect (a lost link ended it for them, as every warning).
   */
  checkToken(gaveToken: boolean, welcome: Message, url: string, tokenHelp: string): void {
    if (!tokenUnchecked(gaveToken, welcome)) return;
    const w: ClusterWarning = { kind: 'token-not-checked', text: clientTokenUncheckedText(url, tokenHelp), time: Date.now() };
    this.active.set(`${w.kind}\n`, w);
    if (!this.saidTokenUnchecked) process.stderr.write(`gluon client: warning: ${w.text}\n`);
    this.saidTokenUnchecked = true;
    for (const l of this.listeners) l({ ...w, active: true });
  }

  /** A condition this client found itself began or ended: kept, said on stderr, passed on. */
  own(w: ClusterWarning, active: boolean): void {
    const id = `${w.kind}\n`;
    if (active) this.active.set(id, w);
    else this.active.delete(id);
    process.stderr.write(`gluon client: ${w.text}\n`);
    for (const l of this.listeners) l({ ...w, active });
  }

  /** A cluster condition began or ended (the scheduler's `warning`): kept, said on stderr, passed on. */
  fromScheduler(m: Message): void {
    const w: ClusterWarning = { kind: String(m.kind), ...(typeof m.about === 'string' ? { about: m.about } : {}), text: String(m.text), time: Date.now() };
    const id = `${w.kind}\n${w.about ?? ''}`;
    if (m.active === true) this.active.set(id, w);
    else this.active.delete(id);
    process.stderr.write(`gluon client: scheduler: ${w.text}\n`);
    for (const l of this.listeners) l({ ...w, active: m.active === true });
  }

  /**
   * The connection is lost: the warnings in force are not known any more (one may end while the
   * client is away, and the scheduler tells a returning client only what holds then, never what
   * ended). So they end here, said as unknown on stderr and to the listeners (`active: false`),
   * and none is in force; on reconnecting the scheduler says again those still in force. Before,
   * they were dropped without a word: a listener kept showing a condition whose end it never heard.
   */
  forget(): void {
    const known = [...this.active.values()];
    this.active.clear();
    if (!known.length) return;
    const kinds = known.map((w) => (w.about ? `${w.kind} (${w.about})` : w.kind));
    process.stderr.write(`gluon client: not known while disconnected: ${kinds.join(', ')}; the scheduler says again what still holds when the client reconnects\n`);
    const time = Date.now();
    for (const [i, w] of known.entries()) {
      const ended = { ...w, text: `${kinds[i]}: not known while disconnected from the scheduler; said again on reconnecting if it still holds`, time, active: false };
      for (const l of this.listeners) l(ended);
    }
  }
}
