/**
 * The cases that run the analysis in the test's own process: in-process and LocalCluster runs on
 * the real and generated files, a failing chunk, a run whose client is cut off, one module of cases
 * each in runs/, run in this one test process. Each was a test file of its own that cost ~1 CPU-s
 * to start under tap. Each case starts and closes its own clusters, in directories of its own.
 * One module's cases alone: `npx tap packages/analysis-finalstates/test/runs.test.ts --grep <name>`.
 */
import './runs/batched-results.js';
import './runs/chunk-failure.js';
import './runs/realdata.js';
