/**
 * The cases that need no process, no browser and no network beyond an in-process loopback server:
 * the state machine driven through sim.ts, the dashboard's views and the pure functions of its
 * page assets, one module of cases each in units/, run in this one test process. Each was a test
 * file of its own that cost ~1 CPU-s to start under tap, most for under a second of cases.
 * One module's cases alone: `npx tap packages/scheduler/test/units.test.ts --grep <name>`, or
 * `npx tsx packages/scheduler/test/units/<module>.ts`.
 */
import './units/axis-label.js';
import './units/cancel-clients.js';
import './units/dashboard-aggregate.js';
import './units/dashboard-views.js';
import './units/dashboard-worker-ids.js';
import './units/dashboard-worker-pages.js';
import './units/dependents.js';
import './units/duplicate-deps.js';
import './units/hostile-fields.js';
import './units/hostile-state.js';
import './units/lineage.js';
import './units/lookups.js';
import './units/lost-client-wait.js';
import './units/metrics-names.js';
import './units/missing-data.js';
import './units/module-refusals.js';
import './units/outbox.js';
import './units/palette.js';
import './units/placement.js';
import './units/records.js';
import './units/recovery.js';
import './units/rejoin.js';
import './units/report-shell.js';
import './units/retire-race.js';
import './units/retirement.js';
import './units/silent-workers.js';
import './units/state-sequences.js';
import './units/state.js';
import './units/steals.js';
import './units/stored-bytes.js';
import './units/tick-labels.js';
import './units/worker-claims.js';
import './units/worker-labels.js';
import './units/worker-status.js';
