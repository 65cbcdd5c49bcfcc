/**
 * The cases that need no gluon process: the state machine's decisions, the module allow-list,
 * compute-task's dependencies, log forwarding, startWorker's options, and the thread pool on real
 * worker_threads in this process (a few run a short node script), one module of cases each in
 * units/, run in this one test process. Each was a test file of its own that cost ~1 CPU-s to
 * start under tap. Cases that start scheduler or worker processes are in processes.test.ts and processes-timed.test.ts.
 * One module's cases alone: `npx tap packages/worker/test/units.test.ts --grep <name>`, or
 * `npx tsx packages/worker/test/units/<module>.ts`.
 */
import './units/allow.js';
import './units/compute-task.js';
import './units/encoded-results.js';
import './units/log-forward.js';
import './units/module-syntax.js';
import './units/pool.js';
import './units/start-options.js';
import './units/state.js';
