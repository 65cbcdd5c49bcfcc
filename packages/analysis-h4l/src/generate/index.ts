/**
 * Synthetic ATLAS-like 4ℓ samples in the `mini` schema (see docs/synthetic-samples.md).
 */
export { Rng } from './rng.js';
export { MINI_SCHEMA, type BranchSpec, type BranchType } from './schema.js';
export type { ColumnSet, JaggedColumn, TypedColumn } from './columns.js';
export { GENERATED_SAMPLES, generateSampleColumns, defaultEntries, expectedYields } from './sample.js';
export { MODELS, DEFAULT_ENTRIES, WEIGHT_PER_SELECTED_EVENT, type ProcessModel } from './models.js';
export { SampleStream } from './sample.js';
export { generateDataset, ensureDataset, demoDatasetDir, planSamples, GenerateInterruptedError, SCALE_RANGE, SEED_RANGE, type GenerateOptions, type SampleRequest, type Manifest, type ManifestEntry } from './dataset.js';
