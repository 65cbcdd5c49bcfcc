/**
 * The CLIs' own answers: their flags, --help and usage errors, what their light paths load, every
 * job key walked through the three job-script printers, and what they say of a missing or empty
 * token. Each case runs the CLIs as child processes (a scheduler the two token modules start at
 * their top lives until this file ends). One module of cases each in clis/, run in this one test
 * process; each was a test file of its own that cost ~1.1 CPU-s to start under tap.
 * One module's cases alone: `npx tap test/clis.test.ts --grep <name>`, or
 * `npx tsx test/clis/<module>.ts`.
 */
// First: these two start a scheduler at their top, and missing-token generates its data there with
// spawnSync, which would stall the cases of any module imported before it while they run.
import './clis/missing-token.js';
import './clis/empty-token.js';
import './clis/cli-flags.js';
import './clis/cli-loads.js';
import './clis/job-keys.js';
