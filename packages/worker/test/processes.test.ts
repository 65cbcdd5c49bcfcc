/**
 * Cases that start gluon-scheduler and gluon-worker processes (or npm), one module of cases each
 * in processes/, run in this one test process: each was a test file of its own that cost ~1 CPU-s
 * to start under tap. The processes a case starts are killed when the case ends (procs.ts
 * endWithCase), not left running through the modules after it. The modules whose cases wait on
 * time by design run beside these, in processes-timed.test.ts.
 * One module's cases alone: `npx tap packages/worker/test/processes.test.ts --grep <name>`.
 */
import './processes/cli.js';
import './processes/cluster.js';
import './processes/npx.js';
import './processes/refused-exit.js';
import './processes/scheduler-gone-stop.js';
import './processes/steal.js';
import './processes/tls.js';
import './processes/token-unchecked.js';
import './processes/ts-without-tsx.js';
import './processes/zombie.js';
