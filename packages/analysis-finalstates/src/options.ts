/**
 * What a per-chunk task needs from the configuration, as plain data (it travels to workers).
 */
import { type FsConfig, objectType } from './config.js';
import { OBJECT_TYPES, OBJECT_NAMES, SCHEMAS, type ObjectType } from './schema.js';

export interface Cut { ptMin: number; absEtaMax: number; tightId: boolean }

export interface PhysicsOptions {
  /** A key of SCHEMAS. */
  schema: string;
  cuts: Record<ObjectType, Cut>;
  maxPerType: number;
  minParticles: number;
  maxParticles: number;
  /** Types combinations are made of. */
  calculate: ObjectType[];
  /** Compute combination masses (stage `masses`); off: final states only. */
  masses: boolean;
  /** Remove the peaks (stage `postprocess`); the tail split is applied when histograms are written. */
  postprocess: boolean;
  peaks: { combinations: string[]; center: number; halfWidth: number }[];
  binWidth: number;
  tailThreshold: number;
  tailMax: number;
}

/** The physics options of a validated configuration. */
export function physicsOptions(c: FsConfig): PhysicsOptions {
  const cuts = {} as Record<ObjectType, Cut>;
  for (const t of OBJECT_TYPES) {
    const o = c.objects[OBJECT_NAMES[t] as keyof FsConfig['objects']];
    cuts[t] = { ptMin: o.pt_min_gev, absEtaMax: o.abs_eta_max, tightId: o.tight_id };
  }
  const calc = new Set(c.objects_to_calculate.map((n) => objectType(n)!));
  return {
    schema: c.schema, cuts, maxPerType: c.max_objects_per_type, minParticles: c.min_particles, maxParticles: c.max_particles,
    calculate: OBJECT_TYPES.filter((t) => calc.has(t)), masses: c.tasks.masses, postprocess: c.tasks.postprocess,
    peaks: c.peaks.map((p) => ({ combinations: [...p.combinations], center: p.center_gev, halfWidth: p.half_width_gev })),
    binWidth: c.bin_width_gev, tailThreshold: c.tail_threshold_gev, tailMax: c.tail_max_gev,
  };
}

/** Main-histogram bins (0 … tailThreshold) and all bins up to tailMax (the last index past them is the overflow). */
export function binCounts(o: Pick<PhysicsOptions, 'binWidth' | 'tailThreshold' | 'tailMax'>): { nMain: number; nAll: number } {
  return { nMain: Math.round(o.tailThreshold / o.binWidth), nAll: Math.round(o.tailMax / o.binWidth) };
}

/** The schema of the options, by name (a clear error for an unknown one). */
export function schemaOf(o: Pick<PhysicsOptions, 'schema'>) {
  const s = SCHEMAS[o.schema];
  if (!s) throw new Error(`unknown schema "${o.schema}" (known: ${Object.keys(SCHEMAS).join(', ')})`);
  return s;
}
