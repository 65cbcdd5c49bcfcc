/**
 * The repository's checks that run its benches, demos, containers' commands, network labs, tap and
 * the ROOT conformance script as their users do: each case starts the processes it needs and waits
 * for them. One module of cases each in processes/, run in this one test process; each was a test
 * file of its own that cost ~1.1 CPU-s to start under tap. The CLIs' own checks are a process of
 * their own, clis.test.ts: together these took ~1,050 s one after the other at load ~35 on the 2
 * cores, past tap's 900 s per file.
 * One module's cases alone: `npx tap test/processes.test.ts --grep <name>`, or
 * `npx tsx test/processes/<module>.ts`.
 *
 * Files of their own: ../acceptance/install-anywhere.test.ts (long: clones, installs, builds, packs) and
 * netns-check.test.ts (it asserts its first NetLab's ID is `<checkout>-<pid>-0`, a per-process
 * counter that netem-relay's labs would advance here).
 */
import './processes/bench-client-round-trip.js';
import './processes/bench-env.js';
import './processes/containers.js';
import './processes/demo-env.js';
import './processes/netem-relay.js';
import './processes/package-tap.js';
import './processes/rootio-conformance.js';
