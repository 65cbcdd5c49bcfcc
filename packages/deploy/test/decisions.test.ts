/**
 * The pure decisions of a cluster's looks (src/job-plan.ts, job-failures.ts, no-worker-coming.ts,
 * …), one module of cases each in decisions/, run in this one test process: none starts a process,
 * a socket or a timer, and each was a test file of its own that cost ~1 CPU-s to start under tap
 * for well under a second of cases (the 11 alone one after the other: 15.1 CPU-s; here 3.0).
 * One module's cases alone: `npx tap packages/deploy/test/decisions.test.ts --grep <name>`, or
 * `npx tsx packages/deploy/test/decisions/<module>.ts`.
 */
import './decisions/absent-workers.js';
import './decisions/end-states.js';
import './decisions/job-failures.js';
import './decisions/job-plan.js';
import './decisions/job-view.js';
import './decisions/listing-health.js';
import './decisions/no-worker-coming.js';
import './decisions/pending-jobs.js';
import './decisions/requeued-jobs.js';
import './decisions/walltime-kills.js';
import './decisions/worker-hosts.js';
