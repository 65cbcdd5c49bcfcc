/**
 * The cases that run the gluon-finalstates CLI (and gluon-h4l's, for a run directory of the other
 * analysis) as child processes: on a scheduler with no worker, through npx, on the PBS stand-ins,
 * merging batch slices, interrupted by signals sent to it, one module of cases each in processes/,
 * run in this one test process. Each was a test file of its own that cost ~1 CPU-s to start under
 * tap. Each case starts and stops its own processes, in directories of its own; no signal is sent
 * to this process and no handler is installed on it (interrupted-run.test.ts, which listens for
 * unhandled rejections on it, stays a process of its own).
 * One module's cases alone: `npx tap packages/analysis-finalstates/test/processes.test.ts --grep <name>`.
 */
import './processes/conflict-names.js';
import './processes/failing-jobs.js';
import './processes/merge-interrupt.js';
import './processes/merge-unwritable.js';
import './processes/no-workers.js';
import './processes/npx.js';
import './processes/other-run-dir.js';
import './processes/rerun-outputs.js';
import './processes/sigint.js';
