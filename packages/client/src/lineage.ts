import type { TaskSpec } from '@gluon/protocol';

/**
 * The task specs behind every key a client holds, with everything they depend on: what the
 * client re-sends when it reconnects to a scheduler that restarted (and so knows nothing), so
 * every run in progress can complete. A spec is kept while the client holds its key or a kept
 * spec depends on it (a reference count), so releasing a future lets its lineage go too.
 */
export class Lineage {
  private readonly specs = new Map<string, { spec: TaskSpec; refs: number }>();

  /** Number of specs kept. */
  get size(): number {
    return this.specs.size;
  }

  has(key: string): boolean {
    return this.specs.has(key);
  }

  /** The keys `key`'s task depends on, when its spec is kept. */
  depsOf(key: string): readonly string[] | undefined {
    return this.specs.get(key)?.spec.deps;
  }

  /**
   * Keeps a spec (dependencies must have been added first, or be kept already). A key kept
   * already keeps its first spec: keys name their computation. `held` counts the client's hold
   * on the key at once (as {@link hold} would, without a second lookup).
   */
  add(spec: TaskSpec, held = false): void {
    if (this.specs.has(spec.key)) {
      if (held) this.hold(spec.key);
      return;
    }
    this.specs.set(spec.key, { spec, refs: held ? 1 : 0 });
    for (const d of spec.deps) {
      const e = this.specs.get(d);
      if (e) e.refs++;
    }
  }

  /**
   * Undoes {@link add} of `spec` (`held` as given there): a spec queued and then dropped before
   * it was sent. A key whose spec was kept from an earlier add only loses the hold.
   */
  unadd(spec: TaskSpec, held: boolean): void {
    if (this.specs.get(spec.key)?.spec === spec) this.release(spec.key);
    else if (held) this.release(spec.key);
  }

  /** The client now holds `key`. */
  hold(key: string): void {
    const e = this.specs.get(key);
    if (e) e.refs++;
  }

  /** The client no longer holds `key`: specs nothing refers to any more are dropped. */
  release(key: string): void {
    const stack = [key];
    while (stack.length) {
      const k = stack.pop()!;
      const e = this.specs.get(k);
      if (!e || --e.refs > 0) continue;
      this.specs.delete(k);
      for (const d of e.spec.deps) stack.push(d);
    }
  }

  /**
   * The specs `roots` need (the roots and everything they depend on), dependencies first, each
   * once. Iterative, so a deep chain cannot overflow the stack.
   */
  graphOf(roots: Iterable<string>): TaskSpec[] {
    const out: TaskSpec[] = [];
    const seen = new Set<string>();
    for (const root of roots) {
      if (seen.has(root) || !this.specs.has(root)) continue;
      // Post-order walk: a spec is emitted once all its dependencies have been.
      const stack: Array<{ spec: TaskSpec; next: number }> = [{ spec: this.specs.get(root)!.spec, next: 0 }];
      seen.add(root);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.spec.deps.length) {
          const d = top.spec.deps[top.next++]!;
          const e = this.specs.get(d);
          if (e && !seen.has(d)) {
            seen.add(d);
            stack.push({ spec: e.spec, next: 0 });
          }
          continue;
        }
        stack.pop();
        out.push(top.spec);
      }
    }
    return out;
  }
}
