import type { Future } from './future.js';

/**
 * The futures each unit of a graph built as it is sent names (see LazyGraph): pinned from the
 * call until that unit is built, so that a release meanwhile (or the caller dropping them)
 * cannot take their keys away from the tasks still to be sent (see Future.pin).
 */
export class UnitPins {
  private readonly list: Array<Future | undefined> = [];
  private ends: Int32Array | undefined;
  /** Growable ends, when the number of units is not known up front. */
  private grown: number[] | undefined;

  constructor(private readonly n: number, growable = false) {
    if (growable) this.grown = [];
  }

  /** Unit being checked names `f` (once per time it names it). */
  add(f: Future): void {
    this.list.push(f);
  }

  /** The unit `i` has been checked: what was added since the previous one is its. */
  end(i: number): void {
    if (this.grown) this.grown[i] = this.list.length;
    else if (this.list.length) (this.ends ??= new Int32Array(this.n))[i] = this.list.length;
  }

  /** Every unit is checked: pins all their futures until each unit is built. */
  pinAll(): void {
    for (const f of this.list) f!.pin();
  }

  /** Unit `i` is built (or failed to): its futures are let go. */
  release(i: number): void {
    const ends = this.grown ?? this.ends;
    if (!ends) return;
    const to = ends[i]!;
    for (let k = i ? ends[i - 1]! : 0; k < to; k++) {
      this.list[k]!.unpin();
      this.list[k] = undefined;
    }
  }
}
