/**
 * The repository's own checks that start no server and no long-lived process: its docs' links,
 * package manifests, launchers and tap settings read from the files, the test helpers (until,
 * the closed port, the children's and threads' loaders), the CI summary and setup scripts run on
 * fixtures. One module of cases each in units/, run in this one test process. Each was a test
 * file of its own that cost ~1.1 CPU-s to start under tap, most for under a second of cases.
 * One module's cases alone: `npx tap test/units.test.ts --grep <name>`, or
 * `npx tsx test/units/<module>.ts`.
 */
import './units/ci-summary.js';
import './units/closed-port.js';
import './units/doc-links.js';
import './units/launchers.js';
import './units/node20-apis.js';
import './units/package-deps.js';
import './units/setup-test-env.js';
import './units/ts-loader.js';
import './units/until.js';
import './units/untraced-children.js';
