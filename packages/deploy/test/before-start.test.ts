/**
 * What is decided before anything starts, one module of cases each in before-start/, run in this
 * one test process: the job scripts and listings' parsers (job-script), a script bash cannot parse
 * (script-syntax), gluon-cluster's answers to other tools' flags (cli-spellings) and to a loopback
 * --host (loopback-scheduler). Each was a test file of its own that cost ~1 CPU-s to start under
 * tap. One module's cases alone: `npx tap packages/deploy/test/before-start.test.ts --grep <name>`.
 */
import './before-start/cli-spellings.js';
import './before-start/job-script.js';
import './before-start/loopback-scheduler.js';
import './before-start/script-syntax.js';
