/**
 * The client's cases that start LocalClusters, or a script or command that does (a script that
 * forgets to close its cluster, one stopped by SIGINT, the README's example under npx tsx, tsc on
 * test-types/): one module of cases each in processes/, run in this one test process: each was a
 * test file of its own that cost ~1.1 CPU-s to start under tap. Each case starts and stops its
 * own processes (the scripts' signals go to their own process groups, and their handlers are the
 * scripts', not this process's). One module's cases alone:
 * `npx tsx packages/client/test/processes/<module>.ts`.
 */
import './processes/allow-modules-paths.js';
import './processes/autogroup.js';
import './processes/chaos.js';
import './processes/dashboard-link.js';
import './processes/dashboard-url.js';
import './processes/forgot-close.js';
import './processes/large-data.js';
import './processes/local-cluster-unauthenticated.js';
import './processes/local-cluster-values.js';
import './processes/local-unix.js';
import './processes/performance-report.js';
import './processes/readme-example.js';
import './processes/sigint.js';
import './processes/tls-paths.js';
import './processes/tls.js';
import './processes/tree-reduce-inputs.js';
import './processes/tree-reduce-iterables.js';
import './processes/types.js';
import './processes/worker-kills.js';
import './processes/worker-loss.js';
