import { checkModule, missingAllowPaths, type AllowDecision, type AllowList } from './allow.js';

/** A refusal as the worker reports it to the scheduler (`refused`). */
export interface ModuleRefusal {
  reason: string;
  /**
   * It may lift and is worth waiting for (the scheduler holds the module's tasks up to
   * --refusal-wait): something this worker was told to expect is absent. The worker re-checks it
   * every heartbeat and says `accepts` when it passes. A package not installed here that nothing
   * said to expect is re-checked too and may be accepted later, but is reported as not lifting
   * (false), so the tasks fail at once rather than wait for an install that may never come.
   */
  mayLift: boolean;
}

/** Most refusals re-checked; those beyond are lasting (the scheduler keeps them until this worker leaves). */
const MAX_RECHECKED = 256;

/**
 * Which task modules this worker imports (allow.ts decides), remembered. A module allowed once
 * stays allowed (its real file was checked), so successes are kept; refusals are not: a package
 * installed or an `--allow-module` path created after the worker started is allowed without a
 * restart. Refusals that rest on something absent (the file, the package, an allowed path) are
 * re-checked by {@link recheck}, so the worker can tell the scheduler it accepts the module now:
 * the scheduler sends it no more tasks of a module it refused, so without the re-check a package
 * installed later was never seen until the worker restarted.
 */
export class ModuleGate {
  private readonly allowed = new Map<string, AllowDecision & { ok: true }>();
  /** Refused modules that may still pass, to re-check. */
  private readonly lifting = new Set<string>();

  constructor(private readonly allow: AllowList) {}

  /** Whether `spec` may be imported, and from which file. */
  check(spec: string): AllowDecision {
    const known = this.allowed.get(spec);
    if (known) return known;
    const d = checkModule(spec, this.allow);
    if (d.ok) this.allowed.set(spec, d);
    return d;
  }

  /** Why `spec` is refused here (remembered for {@link recheck} when it may lift), or null when it is allowed. */
  refusal(spec: string): ModuleRefusal | null {
    const d = this.check(spec);
    if (d.ok) return null;
    // Allowed paths that do not exist yet are part of the answer (the module may be meant to be there).
    const absent = missingAllowPaths(this.allow.extra, this.allow.cwd);
    const reason = absent.length ? `${d.reason} (not on this worker yet: --allow-module ${absent.join('; ')})` : d.reason;
    // Only a refusal for something absent (allow.ts's `missing`, `uninstalled`) may lift without a
    // restart; only one this worker was told to expect (`missing`) is worth the scheduler's wait.
    const rechecked = d.missing === true || d.uninstalled === true;
    if (rechecked && !this.lifting.has(spec) && this.lifting.size < MAX_RECHECKED) this.lifting.add(spec);
    return { reason, mayLift: d.missing === true && this.lifting.has(spec) };
  }

  /** The refused modules that pass their check now (forgotten as refused). */
  recheck(): string[] {
    const now: string[] = [];
    for (const spec of this.lifting) {
      if (!this.check(spec).ok) continue;
      this.lifting.delete(spec);
      now.push(spec);
    }
    return now;
  }

  /** The scheduler forgot this worker's refusals (it registered anew): nothing is re-checked until it refuses again. */
  forgetRefusals(): void {
    this.lifting.clear();
  }
}
