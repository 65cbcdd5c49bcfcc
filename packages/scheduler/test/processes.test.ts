/**
 * Cases that start gluon-scheduler or gluon-worker processes (or nginx, or npm), one module of
 * cases each in processes/, run in this one test process: each was a test file of its own that
 * cost ~1 CPU-s to start under tap. Each case starts and stops its own processes.
 * One module's cases alone: `npx tap packages/scheduler/test/processes.test.ts --grep <name>`.
 */
import './processes/chunked-claims.js';
import './processes/dashboard-link.js';
import './processes/dashboard-login-throttle.js';
import './processes/dashboard-nginx-mtls.js';
import './processes/memory-stall.js';
import './processes/metrics.js';
import './processes/nginx-fixture.js';
import './processes/npx.js';
import './processes/server.js';
import './processes/worker-names.js';
