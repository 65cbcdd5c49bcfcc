/**
 * The cases that run `gluon-h4l run` as a child process over generated datasets and check its
 * outputs (the luminosity, what each output says it is, the same bytes however it ran, the
 * performance report, a file skipped part-way), one module of cases each in run-outputs/, run in
 * this one test process. Each was a test file of its own that cost ~1 CPU-s to start under tap.
 * Each case runs the CLI in a directory of its own; nothing is changed in this process.
 * One module's cases alone: `npx tap packages/analysis-h4l/test/run-outputs.test.ts --grep <name>`.
 */
import './run-outputs/lumi.js';
import './run-outputs/meta.js';
import './run-outputs/outputs-identical.js';
import './run-outputs/performance-report.js';
import './run-outputs/skip-partial.js';
