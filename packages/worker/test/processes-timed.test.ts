/**
 * The modules of processes/ whose cases wait on time by design (a worker's --lifetime running out,
 * a peer stalled for seconds, --death-timeout, a runaway task's time-outs), in a test process of
 * their own beside processes.test.ts: the two halves run side by side under tap's jobs, where one
 * file of all 14 modules ran ~130 s and, started late in the suite's name order, could end it alone.
 * One module's cases alone: `npx tap packages/worker/test/processes-timed.test.ts --grep <name>`.
 */
import './processes/death-timeout.js';
import './processes/peer-stall.js';
import './processes/retire.js';
import './processes/runaway.js';
