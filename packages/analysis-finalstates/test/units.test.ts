/**
 * The cases that need no process and no network: the configuration (the cluster keys too), the
 * data-dir hint, the generator, the physics (objects, final states, masses) and
 * SOURCE_DATE_EPOCH's reading, one module of cases each in units/, run in this one test process.
 * Each was a test file of its own that cost ~1 CPU-s to start under tap, most for under a second
 * of cases. One module's cases alone: `npx tap packages/analysis-finalstates/test/units.test.ts
 * --grep <name>`, or `npx tsx packages/analysis-finalstates/test/units/<module>.ts`.
 */
import './units/cluster-config.js';
import './units/config.js';
import './units/data-dir-hint.js';
import './units/generate.js';
import './units/physics.js';
import './units/source-date-epoch.js';
