/**
 * The cases that need no process and no network: the analysis's pure functions (argv, figures,
 * histograms, merge, the plot, the selection, significance, stale outputs, the run's console), the
 * configuration (config.yaml, flags, the cluster keys; `bash -n` checking a job prologue is the
 * one process) and the dataset generator, one module of cases each in units/, run in this one test
 * process. Each was a test file of its own that cost ~1 CPU-s to start under tap, most for under a
 * second of cases. One module's cases alone: `npx tap packages/analysis-h4l/test/units.test.ts
 * --grep <name>`, or `npx tsx packages/analysis-h4l/test/units/<module>.ts`.
 */
import './units/argv.js';
import './units/cluster-config.js';
import './units/config.js';
import './units/figures.js';
import './units/generate-files.js';
import './units/generate-staging.js';
import './units/generate.js';
import './units/hist.js';
import './units/merge.js';
import './units/plot.js';
import './units/run-console.js';
import './units/selection.js';
import './units/significance.js';
import './units/single-top-weight.js';
import './units/stale-outputs.js';
