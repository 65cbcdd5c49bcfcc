/**
 * Workers that cannot reach each other's data ports while both are connected to the scheduler:
 * a firewall that lets the scheduler's port through but not the workers' (docs/across-hosts.md,
 * "Firewalls"), or a `--listen-host` other hosts cannot reach. The fetching worker reports
 * `missing-data` after its peer timeout (32 s), the input is recomputed, the dependent may land on
 * the same worker again, and the run went round like that with nothing said to the client or in
 * the scheduler's log (only each worker's own stderr had a line). Each pair is said once when it
 * is first seen, and once when it ends: the fetcher got data from that peer again (its `transfer`
 * report), or one of the two left.
 */

import { shortKey } from './log-line.js';

/** What the scheduler says, to its log, its event log and its clients (`warning`, kind `unreachable-peer`). */
export interface PeerNotice {
  active: boolean;
  text: string;
  /** The pair (`fetcher → holder address`): several pairs can be cut at once, and each ends on its own. */
  about: string;
}

interface Side { id: string; name: string; address: string }

/** The cut pairs (fetcher id → holder data address), and the notices that begin and end them. */
export class UnreachablePeers {
  private readonly cut = new Map<string, { fetcher: Side; holder: Side; text: string }>();

  get size(): number { return this.cut.size; }

  /**
   * `fetcher` could not fetch `key`, an input of its own task, from `holder`, a worker still
   * registered here (missing-data.ts). Returns the
   * notice when this pair is new, else undefined (said once per episode).
   */
  failed(fetcher: Side, holder: Side, key: string): PeerNotice | undefined {
    const id = `${fetcher.id}\n${holder.address}`;
    if (this.cut.has(id)) return undefined;
    // The worker does not say why its fetch failed: the cause is offered, not asserted.
    const text = `worker ${fetcher.name} (${fetcher.address}) could not fetch ${shortKey(key)} from worker ${holder.name} at ${holder.address}, `
      + `which is connected to this scheduler. If ${fetcher.name} could not connect (its own log, `
      + `on its dashboard page, says why the fetch failed), its host cannot reach ${holder.name}'s data port (a firewall that lets only `
      + `the scheduler's port through, or a --listen-host other hosts cannot reach; docs/across-hosts.md#firewalls). The task that needed it `
      + 'is placed again and the input computed again unless another worker holds it; the run may repeat this until the workers can reach each other';
    this.cut.set(id, { fetcher, holder, text });
    return { active: true, text, about: about(fetcher, holder.address) };
  }

  /** `fetcherId` got data from the worker at `holderAddress` (a transfer report): that pair's end, if it was cut. */
  reached(fetcherId: string, holderAddress: string): PeerNotice | undefined {
    const id = `${fetcherId}\n${holderAddress}`;
    const pair = this.cut.get(id);
    if (!pair) return undefined;
    this.cut.delete(id);
    return { active: false, text: `worker ${pair.fetcher.name} fetched from worker ${pair.holder.name} at ${holderAddress} again`, about: about(pair.fetcher, holderAddress) };
  }

  /** The pairs cut now, for a client that connects while they are. */
  get current(): PeerNotice[] {
    return [...this.cut.values()].map((p) => ({ active: true, text: p.text, about: about(p.fetcher, p.holder.address) }));
  }

  /** A worker left: the end of every pair it was in. */
  gone(workerId: string, address: string): PeerNotice[] {
    const out: PeerNotice[] = [];
    for (const [id, pair] of this.cut) {
      if (pair.fetcher.id !== workerId && pair.holder.address !== address) continue;
      this.cut.delete(id);
      const left = pair.fetcher.id === workerId ? pair.fetcher.name : pair.holder.name;
      out.push({ active: false, text: `worker ${left} left: no longer waiting for ${pair.fetcher.name} to reach ${pair.holder.name} at ${pair.holder.address}`, about: about(pair.fetcher, pair.holder.address) });
    }
    return out;
  }
}

/** How a pair is named to clients: the fetcher's address and the holder's data address. */
function about(fetcher: Side, holderAddress: string): string {
  return `${fetcher.address} → ${holderAddress}`;
}
