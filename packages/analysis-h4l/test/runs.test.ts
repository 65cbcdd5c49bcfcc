/**
 * The cases that run the analysis (or its generator, or its download) in the test's own process:
 * in-process and LocalCluster runs on the real files, a run whose client is cut off, dataset locks,
 * downloads from loopback HTTP servers, one module of cases each in runs/, run in this one test
 * process. Each was a test file of its own that cost ~1 CPU-s to start under tap. Each case starts
 * and closes its own clusters and servers, in directories of its own.
 * One module's cases alone: `npx tap packages/analysis-h4l/test/runs.test.ts --grep <name>`.
 */
import './runs/acceptance.js';
import './runs/bad-input.js';
import './runs/batched-results.js';
import './runs/dataset-lock.js';
import './runs/download.js';
