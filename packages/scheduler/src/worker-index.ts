import type { WorkerRecord } from './records.js';

const NONE: readonly WorkerRecord[] = [];

/**
 * The registered workers by data address and by name, so that a worker's hello is judged
 * (worker-clash.ts), its claims weighed (worker-claims.ts) and its namesakes found in O(1): a
 * search of every worker per hello made a farm's start of 1,000 workers cost ~1,000² steps
 * (bench/worker-hellos.ts). Lists, not single entries: the state machine itself does not refuse
 * a second worker at an address (the server does, by worker-clash.ts), and names may repeat.
 */
export class WorkerIndex {
  private readonly byAddress = new Map<string, WorkerRecord[]>();
  private readonly byName = new Map<string, WorkerRecord[]>();

  add(ws: WorkerRecord): void {
    put(this.byAddress, ws.address, ws);
    put(this.byName, ws.name, ws);
  }

  remove(ws: WorkerRecord): void {
    take(this.byAddress, ws.address, ws);
    take(this.byName, ws.name, ws);
  }

  /** The registered workers at a data address, in registration order. */
  at(address: string): readonly WorkerRecord[] {
    return this.byAddress.get(address) ?? NONE;
  }

  /** The registered workers of a name, in registration order. */
  named(name: string): readonly WorkerRecord[] {
    return this.byName.get(name) ?? NONE;
  }
}

function put(map: Map<string, WorkerRecord[]>, key: string, ws: WorkerRecord): void {
  const list = map.get(key);
  if (list) list.push(ws);
  else map.set(key, [ws]);
}

function take(map: Map<string, WorkerRecord[]>, key: string, ws: WorkerRecord): void {
  const list = map.get(key);
  const i = list ? list.indexOf(ws) : -1;
  if (i < 0) return;
  if (list!.length === 1) map.delete(key);
  else list!.splice(i, 1);
}
