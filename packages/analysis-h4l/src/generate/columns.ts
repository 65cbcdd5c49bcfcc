/**
 * Growable columnar buffers in the `mini` schema: scalars as typed arrays, `std::vector`
 * branches as `{offsets, values}` (offsets has n+1 entries) — the layout rootio's reader returns
 * and its writer takes. No per-event objects.
 */
import { MINI_SCHEMA, type BranchType } from './schema.js';

export type TypedColumn = Float32Array | Int32Array | Uint32Array | Uint8Array;
export interface JaggedColumn { offsets: Int32Array; values: TypedColumn }
export type ColumnSet = Record<string, TypedColumn | JaggedColumn>;

function alloc(type: BranchType, n: number): TypedColumn {
  switch (type) {
    case 'float': return new Float32Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'bool': return new Uint8Array(n);
  }
}

/** One growable vector branch. */
export class VectorBuilder {
  values: TypedColumn;
  length = 0;
  readonly offsets: Int32Array;
  constructor(readonly type: BranchType, events: number, perEvent: number) {
    this.values = alloc(type, Math.max(16, Math.ceil(events * perEvent)));
    this.offsets = new Int32Array(events + 1);
  }
  push(v: number): void {
    if (this.length === this.values.length) {
      const bigger = alloc(this.type, this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = v;
  }
  /** Closes event i (0-based): everything pushed since the last close belongs to it. */
  close(i: number): void {
    this.offsets[i + 1] = this.length;
  }
  finish(): JaggedColumn {
    return { offsets: this.offsets, values: this.values.slice(0, this.length) };
  }
}

/** All branches of `mini` for `events` events. */
export class MiniBuilder {
  readonly scalars: Record<string, TypedColumn>;
  readonly vectors: Record<string, VectorBuilder>;
  private readonly vectorList: VectorBuilder[];
  constructor(readonly events: number) {
    // Built with Object.fromEntries so that V8 keeps them as fast-property objects: the event
    // loop reads these columns by name for every event.
    this.scalars = Object.fromEntries(MINI_SCHEMA.filter((b) => !b.jagged).map((b) => [b.name, alloc(b.type, events)]));
    this.vectors = Object.fromEntries(MINI_SCHEMA.filter((b) => b.jagged).map((b) => {
      const perEvent = b.name.startsWith('lep_') ? 4.05 : b.name.startsWith('jet_') ? 1.5 : 0;
      return [b.name, new VectorBuilder(b.type, events, perEvent)];
    }));
    this.vectorList = Object.values(this.vectors);
  }
  /** Closes event i on every vector branch. */
  close(i: number): void {
    const l = this.vectorList;
    for (let k = 0; k < l.length; k++) l[k].close(i);
  }
  /** The finished columns, in schema order. */
  finish(): ColumnSet {
    const out: ColumnSet = {};
    for (const b of MINI_SCHEMA) out[b.name] = b.jagged ? this.vectors[b.name].finish() : this.scalars[b.name];
    return out;
  }
}
