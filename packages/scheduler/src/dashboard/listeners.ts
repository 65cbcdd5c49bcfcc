/** The listeners of one kind of event: `subscribe` returns the way to unsubscribe; `emit` calls each in order. */
export class Listeners<E> {
  private list: Array<(e: E) => void> = [];

  /** How many listen. */
  get size(): number {
    return this.list.length;
  }

  subscribe(listener: (e: E) => void): () => void {
    this.list.push(listener);
    return () => {
      this.list = this.list.filter((l) => l !== listener);
    };
  }

  emit(e: E): void {
    for (const l of this.list) l(e);
  }
}
