/**
 * The cases that run the gluon-h4l CLI's commands as child processes and check what they say and
 * refuse and how they stop (bad flags and settings, plot on a run directory, through npx, on the
 * PBS stand-ins, interrupted by signals sent to them), one module of cases each in processes/, run
 * in this one test process. Each was a test file of its own that cost ~1 CPU-s to start under tap.
 * Each case starts and stops its own processes, in directories of its own; no signal is sent to
 * this process and no handler is installed on it (interrupted-run.test.ts, which listens for
 * unhandled rejections on it, stays a process of its own). The runs whose outputs are checked are
 * run-outputs.test.ts's, a process of their own so that neither file takes minutes alone.
 * One module's cases alone: `npx tap packages/analysis-h4l/test/processes.test.ts --grep <name>`.
 */
import './processes/cli.js';
import './processes/conflict-names.js';
import './processes/failing-jobs.js';
import './processes/npx.js';
import './processes/plot-run-dir.js';
import './processes/plots.js';
import './processes/sigint-writing.js';
import './processes/sigint.js';
