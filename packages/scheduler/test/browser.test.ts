/**
 * The dashboard's and the performance report's pages in chromium, one module of cases each in
 * browser/, run in this one test process: they share its one chromium (fixtures/browser.ts: a
 * fresh context per test), where each was a test file of its own that paid for a test process
 * and a chromium launch (~2.5 CPU-s) before its first page. dashboard-scale.test.ts stays a file
 * of its own (it budgets the page's main thread), as do the long dashboard-core, -browser, -events
 * and -proxy files (run beside the others by tap's jobs).
 * One module's cases alone: `npx tap packages/scheduler/test/browser.test.ts --grep <name>`.
 */
import './browser/dashboard-axes-browser.js';
import './browser/dashboard-cancel-browser.js';
import './browser/dashboard-closing-browser.js';
import './browser/dashboard-duplicate-names-browser.js';
import './browser/dashboard-feed-cap-browser.js';
import './browser/dashboard-graph-browser.js';
import './browser/dashboard-load-browser.js';
import './browser/dashboard-restart-browser.js';
import './browser/dashboard-stream-browser.js';
import './browser/dashboard-stream-rects-browser.js';
import './browser/dashboard-stuck-browser.js';
import './browser/dashboard-worker-browser.js';
import './browser/report-browser.js';
import './browser/results-hostile-browser.js';
