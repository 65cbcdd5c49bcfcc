import { connect, type Connection, type TlsNames, type ClientTlsOptions } from '@gluon/protocol';
import { ResultTooLargeError } from './errors.js';

/** The size limits the client's connections announce and enforce. */
export interface PeerLimits {
  maxFrameBytes?: number;
  maxMessageBytes?: number;
}

/** How a client proves itself to workers: the cluster's token and/or its TLS certificate. */
export interface PeerLink {
  token?: string;
  tls?: ClientTlsOptions;
  /** What TLS errors call the settings to change (ConnectOptions.tlsHelp). */
  tlsNames?: TlsNames;
}

/**
 * Pooled connections from this client to workers' data listeners, for fetching results
 * directly from where they live (the scheduler never relays data). One connection per worker,
 * opened on first use, dropped when it closes.
 */
export class PeerPool {
  private readonly conns = new Map<string, Promise<Connection>>();

  constructor(private readonly name: string, private readonly link: PeerLink, private readonly limits: PeerLimits = {}) {}

  /**
   * Asks the worker at `address` for `keys`. Resolves with the values it had and the keys it
   * did not; rejects when the worker cannot be reached, and with {@link ResultTooLargeError} at
   * once when a value is over a message limit. Keys the worker could not fit in one answer are
   * asked for again one at a time.
   */
  async getData(address: string, keys: string[], timeoutMs = 60_000): Promise<{ data: Record<string, unknown>; missing: string[] }> {
    const conn = await this.connection(address);
    const data: Record<string, unknown> = {};
    const asks: string[][] = [keys];
    for (let ask = asks.shift(); ask; ask = asks.shift()) {
      const reply = await conn.request({ op: 'get-data', keys: ask }, timeoutMs);
      Object.assign(data, reply.data ?? {});
      const tooLarge = (reply.tooLarge ?? {}) as Record<string, string>;
      for (const key of Object.keys(tooLarge)) throw new ResultTooLargeError(key, String(tooLarge[key]));
      // A one-key ask never comes back as `later` (that would be a loop): it counts as missing.
      if (ask.length > 1 && Array.isArray(reply.later)) for (const k of reply.later as string[]) asks.push([k]);
    }
    const missing = keys.filter((k) => !(k in data));
    return { data, missing };
  }

  /** Workers with a connection open or opening. */
  get size(): number {
    return this.conns.size;
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
        ...this.link, ...this.limits, label: `worker ${address}`, timeoutMs: 10_000,
        log: (l) => process.stderr.write(`gluon client: ${l}\n`),
      }).then(({ conn }) => {
        // Never what keeps the process alive: a fetch under way holds the scheduler connection (liveness.ts).
        conn.setRef(false);
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
