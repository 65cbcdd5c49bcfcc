import { connect, type Connection } from '@gluon/protocol';

/**
 * Pooled connections from this client to workers' data listeners, for fetching results
 * directly from where they live (the scheduler never relays data). One connection per worker,
 * opened on first use, dropped when it closes.
 */
export class PeerPool {
  private readonly conns = new Map<string, Promise<Connection>>();

  constructor(private readonly name: string, private readonly token: string | undefined) {}

  /**
   * Asks the worker at `address` for `keys`. Resolves with the values it had and the keys it
   * did not; rejects when the worker cannot be reached.
   */
  async getData(address: string, keys: string[], timeoutMs = 60_000): Promise<{ data: Record<string, unknown>; missing: string[] }> {
    const conn = await this.connection(address);
    const reply = await conn.request({ op: 'get-data', keys }, timeoutMs);
    const data = (reply.data ?? {}) as Record<string, unknown>;
    const missing = keys.filter((k) => !(k in data));
    return { data, missing };
  }

  /** Forgets a worker's connection (it went away), closing it if still open. */
  drop(address: string): void {
    const p = this.conns.get(address);
    this.conns.delete(address);
    void p?.then((c) => c.close(), () => {});
  }

  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => {})));
  }

  private connection(address: string): Promise<Connection> {
    let p = this.conns.get(address);
    if (!p) {
      p = connect(address, { role: 'peer', name: this.name }, {
        ...(this.token ? { token: this.token } : {}), label: `worker ${address}`, timeoutMs: 10_000,
        log: (l) => process.stderr.write(`gluon client: ${l}\n`),
      }).then(({ conn }) => {
        conn.on('close', () => {
          if (this.conns.get(address) === p) this.conns.delete(address);
        });
        return conn;
      });
      const mine = p;
      p.catch(() => {
        if (this.conns.get(address) === mine) this.conns.delete(address);
      });
      this.conns.set(address, p);
    }
    return p;
  }
}
