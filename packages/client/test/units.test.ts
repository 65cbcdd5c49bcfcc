/**
 * The client's cases that need no scheduler, worker or network: its pure functions and tables
 * (the reconnect schedule, the key states, the future registry, the serializer, the report's
 * recorder, the start-up deadline, with one LocalCluster start that fails past it), and the README's
 * options table against LocalCluster's refusal of an unknown option. One module of cases each in
 * units/, run in this one test process: each was a test file of its own that cost ~1.1 CPU-s to
 * start under tap, most for under a second of cases. One module's cases alone:
 * `npx tsx packages/client/test/units/<module>.ts`.
 */
import './units/future-registry.js';
import './units/key-state.js';
import './units/readme-options.js';
import './units/reconnect-delay.js';
import './units/report-recorder.js';
import './units/serialize.js';
import './units/startup-deadline.js';
