/**
 * The examples as their users run them: the compiled scripts against local and remote clusters,
 * the group-by task in this process, the packed package installed elsewhere, and the workload
 * page's code blocks run as written. One module of cases each in processes/, run in this one test
 * process; each was a test file of its own that cost ~1.1 CPU-s to start under tap.
 * One module's cases alone: `npx tap examples/test/processes.test.ts --grep <name>`, or
 * `npx tsx examples/test/processes/<module>.ts`.
 */
// First: its t.before refuses to run without examples/dist (`npx tsc -b`), before any case starts.
import './processes/examples.js';
import './processes/group-by-tasks.js';
import './processes/pack.js';
import './processes/workload-doc.js';
