/**
 * Cases that start node processes (a listener stopped with SIGSTOP, a process with
 * GLUON_HOP_PROBE set, a CLI under a stand-in npm or supervisor that is then killed), one module
 * of cases each in processes/, run in this one test process: each was a test file of its own
 * that cost ~1 CPU-s to start under tap. Each case starts and stops its own processes.
 * One module's cases alone: `npx tap packages/protocol/test/processes.test.ts --grep <name>`.
 */
import './processes/connect-timeout.js';
import './processes/hop-probe.js';
import './processes/stop-with-npm.js';
import './processes/stop-with-supervisor.js';
