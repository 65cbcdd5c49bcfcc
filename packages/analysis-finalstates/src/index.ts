/**
 * @gluon/analysis-finalstates: every final state's invariant masses → BumpNet histograms, as
 * Gluon tasks. See README.md for the physics, the CLI and the output layout.
 */
export * from './schema.js';
export * from './config.js';
export * from './naming.js';
export * from './options.js';
export * from './physics.js';
export * from './result.js';
export * from './chunk.js';
export * from './dataset.js';
export * from './histograms.js';
export * from './run.js';
export * from './outputs.js';
export * from './merge.js';
export * from './plots.js';
export * from './app.js';
