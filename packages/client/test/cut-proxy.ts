/**
 * A TCP relay on loopback between a client and its scheduler whose cable can be pulled: cut, it
 * carries nothing (open connections go silent both ways, with no FIN or RST, as behind a dead
 * link; new ones are reset); restored, it carries new connections again. The silent ones are
 * dropped on restore: by then both ends have given up on them, as across a real cut.
 */
import net from 'node:net';

export class CutProxy {
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private isCut = false;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  /** Listens on 127.0.0.1 (any free port) and relays to `port` on 127.0.0.1. */
  static async start(port: number): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = net.createServer((inbound) => proxy!.accept(inbound, port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy = new CutProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
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
    // While the link works, a close on one side reaches the other; cut, nothing does.
    const closed = () => {
      if (this.isCut) return;
      this.pairs.delete(pair);
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

  /** Plugs it back: new connections are carried; the ones that went silent are dropped. */
  restore(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    this.isCut = false;
  }

  close(): Promise<void> {
    this.restore();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
