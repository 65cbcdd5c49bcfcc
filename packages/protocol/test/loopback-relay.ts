/**
 * A TCP relay on loopback between a process and the listener it dials (a client or worker and
 * its scheduler) whose link can fail the ways real ones do, for the tests of what each side makes
 * of it:
 * - cut(): the cable pulled. Open connections go silent both ways, with no FIN or RST, as behind
 *   a dead link; new ones are reset. restore() plugs it back: new connections are carried, and
 *   the silent ones are dropped (by then both ends have given up on them, as across a real cut).
 * - cutTelling(): the link fails and both ends are told at once (a router that resets both
 *   sides, a host's interface going down). Open connections are reset on both sides; new ones are
 *   reset until restore(). Each end learns of it from the reset itself, not from a silence limit,
 *   so a test that needs both ends to have noticed waits on that event however loaded the machine.
 * - dropDialerSides(): a NAT or firewall that forgot its connections and told one end only. The
 *   dialer's side is reset (it learns at once and dials again, through the relay again); the
 *   listener's side stays open and silent (what it sends is read and dropped), so it sees no
 *   close. New connections are carried.
 */
import net from 'node:net';

export class LoopbackRelay {
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private isCut = false;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  /** Listens on 127.0.0.1 (any free port) and relays to `port` on 127.0.0.1. */
  static async start(port: number): Promise<LoopbackRelay> {
    let relay: LoopbackRelay | undefined;
    const server = net.createServer((inbound) => relay!.accept(inbound, port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    relay = new LoopbackRelay(server, (server.address() as net.AddressInfo).port);
    return relay;
  }

  /** `ws://127.0.0.1:PORT`: the relay's address, to dial in place of the listener's. */
  get address(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  private accept(inbound: net.Socket, port: number): void {
    inbound.on('error', () => {});
    if (this.isCut) {
      inbound.resetAndDestroy();
      return;
    }
    const outbound = net.connect(port, '127.0.0.1');
    outbound.on('error', () => {});
    const pair: [net.Socket, net.Socket] = [inbound, outbound];
    this.pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    // While the link works, a close on one side reaches the other; cut, or dropped on one side
    // (no longer among the pairs), nothing does.
    const closed = () => {
      if (this.isCut || !this.pairs.delete(pair)) return;
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', closed);
    outbound.on('close', closed);
  }

  /** Pulls the cable: nothing more is carried, in either direction, and nobody is told. */
  cut(): void {
    this.isCut = true;
    for (const [a, b] of this.pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  /** The link fails with both ends told: every open connection is reset both ways, new ones too until restore(). */
  cutTelling(): void {
    this.isCut = true;
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    this.pairs.clear();
  }

  /** Plugs it back: new connections are carried; the ones that went silent are dropped. */
  restore(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    this.isCut = false;
  }

  /**
   * Resets the dialer's side of every open connection and leaves the listener's side open,
   * carrying nothing (what the listener sends is read and dropped). New connections are carried.
   */
  dropDialerSides(): void {
    for (const pair of this.pairs) {
      const [inbound, outbound] = pair;
      this.pairs.delete(pair);
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      outbound.on('data', () => {});
      inbound.resetAndDestroy();
    }
  }

  close(): Promise<void> {
    this.restore();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
