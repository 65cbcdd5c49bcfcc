// The generator's accepted scales and seeds, apart from the generator: the CLIs' usage text and
// flag checks name them without loading it (the ROOT writer and its threads; bench/cli-startup.ts).

/** The scales the generator accepts (entries = scale × the real 4ℓ entries). */
export const SCALE_RANGE = { min: 0.01, max: 100 } as const;
/** The seeds the generator accepts: non-negative safe integers (each seeds its own streams). */
export const SEED_RANGE = { min: 0, max: Number.MAX_SAFE_INTEGER } as const;
