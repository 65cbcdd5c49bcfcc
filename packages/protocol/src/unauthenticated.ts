/**
 * The socket side of shedding.ts: each listener's connections from accept until they
 * authenticate, closed the oldest first past the listener's bound or when a new connection took
 * the process's last file descriptor.
 */
import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connectionsToShed, DESCRIPTOR_HEADROOM, ShedTally, UNAUTHENTICATED_LACKING, unauthenticatedBound, type ShedChoice } from './shedding.js';

interface Held {
  socket: Socket;
  gate: UnauthenticatedConnections;
}

/** Every listener's unauthenticated connections in this process, oldest first (a Map keeps insertion order). */
const everywhere = new Map<Socket, Held>();
/** The listeners of this process that are bound (for `/metrics`). */
const listening = new Set<UnauthenticatedConnections>();

/** One listener's figures, for `/metrics`. */
export interface UnauthenticatedFigures {
  /** Its address (`ws://127.0.0.1:8786`, `ws+unix:/run/gluon.sock:/`, `http://127.0.0.1:8787`). */
  listener: string;
  /** Unauthenticated connections it holds now. */
  held: number;
  /** Its bound on them. */
  bound: number;
  /** Closed since it started: past its bound, and because a new connection took the last descriptor. */
  closed: { 'past-bound': number; 'no-descriptor': number };
}

/** The figures of every bound listener of this process (the scheduler's port, Unix socket and dashboard). */
export function unauthenticatedFigures(): UnauthenticatedFigures[] {
  return [...listening].map((g) => ({ listener: g.address, held: g.count, bound: g.bound, closed: { ...g.closedSoFar } }));
}

/**
 * Whether a file descriptor is free: opening one is the only way to know. libuv gives no sign
 * when accept() fails for want of one (it accepts and closes the pending connections itself), so
 * each accepted connection is followed by this probe, and the one that took the last descriptor
 * makes room before the next accept needs it.
 */
export function descriptorLeft(): boolean {
  try {
    closeSync(openSync(devNull, 'r'));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'EMFILE' && code !== 'ENFILE';
  }
}

/**
 * One listener's connections that have not authenticated yet. The listener's socket server
 * calls {@link arrived} for each accepted socket (bindServer and listenUnix do); whatever checks
 * the connection (the hello and its token, the dashboard's login) calls {@link admit} once it
 * passed, and from then on the connection is never closed for room.
 */
export class UnauthenticatedConnections {
  /** Where, for the log line (`the scheduler's port ws://127.0.0.1:8786`); set once the listener is bound. */
  name: string;
  /** Its address, once bound (see {@link bound}). */
  address = '';
  /** What its unauthenticated connections have not done yet, for the log line (see {@link listens}). */
  private lacking = UNAUTHENTICATED_LACKING;
  readonly bound: number;
  /** Closed since the listener started, by why. */
  readonly closedSoFar = { 'past-bound': 0, 'no-descriptor': 0 };
  private readonly here = new Map<Socket, Held>();
  private readonly tally = new ShedTally();
  private timer: NodeJS.Timeout | undefined;

  /**
   * `bound`: connections held before authenticating (default 512, see shedding.ts); `log`: where
   * the burst's line goes; `probe`: whether a descriptor is free (tests give their own).
   */
  constructor(name: string, bound: number | undefined, private readonly log: (line: string) => void,
              private readonly probe: () => boolean = descriptorLeft) {
    this.name = name;
    this.bound = unauthenticatedBound(bound);
  }

  /**
   * The listener is bound: `name` for its log line (`the scheduler's port ws://127.0.0.1:8786`),
   * `address` for `/metrics`, `lacking` what its unauthenticated connections have not done yet
   * (`no hello with the token yet`), for the log line. Counted among the process's listeners until {@link close}.
   */
  listens(name: string, address: string, lacking: string = UNAUTHENTICATED_LACKING): void {
    this.name = name;
    this.address = address;
    this.lacking = lacking;
    listening.add(this);
  }

  /** How many this listener holds now. */
  get count(): number {
    return this.here.size;
  }

  /** A socket was accepted: held until it authenticates or closes, and room made for it if need be. */
  arrived(socket: Socket): void {
    const held: Held = { socket, gate: this };
    this.here.set(socket, held);
    everywhere.set(socket, held);
    socket.once('close', () => this.forget(socket));
    // With nothing else unauthenticated there is nothing to close: no probe.
    const left = everywhere.size > 1 ? this.probe() : true;
    const choice = connectionsToShed({
      arrived: held, here: this.here.values(), hereCount: this.here.size, bound: this.bound,
      descriptorLeft: left, everywhere: everywhere.values(), headroom: DESCRIPTOR_HEADROOM,
    });
    // Each listener tallies what it closed (the line names it); descriptors are shed from any.
    const closing = new Map<UnauthenticatedConnections, ShedChoice<Held>>();
    const of = (gate: UnauthenticatedConnections): ShedChoice<Held> => {
      let c = closing.get(gate);
      if (!c) closing.set(gate, c = { overBound: [], forDescriptors: [] });
      return c;
    };
    for (const h of choice.overBound) of(h.gate).overBound.push(h);
    for (const h of choice.forDescriptors) of(h.gate).forDescriptors.push(h);
    const stuck = !left && choice.overBound.length + choice.forDescriptors.length === 0;
    if (stuck) of(this);
    for (const [gate, c] of closing) gate.shed(c, stuck && gate === this);
  }

  /** The connection on `socket` (or the TLS socket over it) authenticated: never closed for room. */
  admit(socket: Duplex): void {
    const raw = (socket as Duplex & { _parent?: Socket })._parent ?? socket as Socket;
    this.forget(raw);
  }

  /** Stops counting (the listener closes; its sockets are closed by it). */
  close(): void {
    for (const s of [...this.here.keys()]) this.forget(s);
    listening.delete(this);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private forget(socket: Socket): void {
    if (!this.here.delete(socket)) return;
    everywhere.delete(socket);
  }

  private shed(choice: ShedChoice<Held>, stuck: boolean): void {
    // Forgotten before they are destroyed: the next accept may come in this same turn of the
    // event loop, before any 'close' event.
    for (const h of [...choice.overBound, ...choice.forDescriptors]) {
      this.forget(h.socket);
      h.socket.destroy();
    }
    this.closedSoFar['past-bound'] += choice.overBound.length;
    this.closedSoFar['no-descriptor'] += choice.forDescriptors.length;
    this.tally.note(choice, stuck, Date.now());
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const due = this.tally.dueAt();
    if (due === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const line = this.tally.line(Date.now(), this.name, this.bound, this.here.size, this.lacking);
      if (line) this.log(line);
      this.schedule();
    }, Math.max(0, due - Date.now()));
    this.timer.unref();
  }
}
