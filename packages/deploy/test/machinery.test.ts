/**
 * The tests' own machinery, one module of cases each in machinery/, run in this one test process:
 * the shared Slurm's leases (setup-slurm-stop, on daemons of its own), its lock kept from the
 * daemons (slurm-lock) and the SSH lab's address checks (ssh-hosts). Each was a test file of its
 * own that cost ~1 CPU-s to start under tap.
 * One module's cases alone: `npx tap packages/deploy/test/machinery.test.ts --grep <name>`.
 */
import './machinery/setup-slurm-stop.js';
import './machinery/slurm-lock.js';
import './machinery/ssh-hosts.js';
