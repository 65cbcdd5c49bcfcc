/**
 * The client's cases against a scheduler started in this process: a fake one speaking the
 * scheduler's side of the protocol (fake-scheduler.ts), so that a case sees exactly what the
 * client sends and answers exactly what it needs, or a real in-process one (connect-retry); and
 * deep-chain's last case, a chain on a LocalCluster. One module of cases each in servers/, run in
 * this one test process: each was a test file of its own that cost ~1.1 CPU-s to start under tap.
 * Each case starts and closes what it uses. client-memory.test.ts, which measures this process's
 * heap, stays a file of its own. One module's cases alone: `npx tsx packages/client/test/servers/<module>.ts`.
 */
import './servers/connect-retry.js';
import './servers/deep-chain.js';
import './servers/reconnect-workers.js';
import './servers/release-cancel.js';
import './servers/resend-order.js';
import './servers/result-path.js';
import './servers/result-settled.js';
import './servers/warnings.js';
