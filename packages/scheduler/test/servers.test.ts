/**
 * Cases against a scheduler or a dashboard started in this process, over real sockets (with
 * in-process workers, or a few worker processes), one module of cases each in servers/, run in
 * this one test process: each was a test file of its own that cost ~1 CPU-s to start under tap.
 * Each case starts and closes what it uses. Cases that measure this process's memory, garbage
 * collection or event loop (buffer-collection, held-collection, dashboard-feed-memory,
 * malloc-trim, loop-stall, worker-liveness, send-backlog) stay files of their own.
 * One module's cases alone: `npx tap packages/scheduler/test/servers.test.ts --grep <name>`.
 */
import './servers/client-refs.js';
import './servers/dashboard-feed-cap.js';
import './servers/dashboard-hostile.js';
import './servers/dashboard-server.js';
import './servers/groups.js';
import './servers/held-events.js';
import './servers/hostile-frames.js';
import './servers/lost-clients-log.js';
import './servers/publish-bounds.js';
import './servers/refused-modules.js';
import './servers/release-backlog.js';
import './servers/scheduler-port-http.js';
import './servers/start-options.js';
import './servers/tls-files.js';
import './servers/transfers.js';
import './servers/worker-churn.js';
import './servers/worker-clash.js';
