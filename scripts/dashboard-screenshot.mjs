#!/usr/bin/env node
// Makes docs/dashboard.png from a real run: `npm run demo -- --linger` (the H→4ℓ selection on
// the synthetic dataset, a LocalCluster of 2 workers), with Debian's chromium (playwright-core)
// watching its dashboard from the start of the run; once the run is done and the page shows its
// result, a full-page screenshot, then the demo is stopped (Ctrl-C, by its PID).
// Usage, after `npx tsc -b`: node scripts/dashboard-screenshot.mjs [out.png]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'docs', 'dashboard.png'));
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`dashboard-screenshot: ${CHROMIUM} not found; run scripts/setup-test-env.sh`);
const demoJs = join(root, 'packages/analysis-h4l/dist/demo.js');
if (!existsSync(demoJs)) throw new Error(`dashboard-screenshot: ${demoJs} not found; run npx tsc -b first`);

const demo = spawn(process.execPath, [demoJs, '--linger'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
/** Resolves with the first match of `re` in the demo's output (at most 15 minutes: the first run generates the dataset). */
function awaitOutput(re) {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`dashboard-screenshot: the demo printed no ${re} within 15 min`)), 15 * 60_000);
    const check = () => {
      const m = re.exec(text);
      if (!m) return false;
      clearTimeout(timer);
      demo.stdout.off('data', onData);
      demo.off('exit', onExit);
      res(m);
      return true;
    };
    const onData = () => check();
    const onExit = (code) => {
      clearTimeout(timer);
      rej(new Error(`dashboard-screenshot: the demo exited (${code}) before printing ${re}`));
    };
    demo.stdout.on('data', onData);
    demo.once('exit', onExit);
    check();
  });
}
demo.stdout.on('data', (b) => {
  text += b;
  process.stdout.write(b);
});

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'] });
try {
  const [, url] = await awaitOutput(/dashboard: (https?:\/\/\S+)/);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(180_000);
  await page.goto(url);
  await page.waitForSelector('#conn.up');
  // Mid-run when the page catches it (tasks in the graph, the histogram growing, the run under
  // way), else the run's end: every task done, the m4l histogram drawn, the stream's bars.
  const midRun = page.waitForFunction(() => Number(document.getElementById('graph').dataset.nodes) > 0
    && document.querySelector('#results [data-topic="h4l/m4l"] canvas') && /^\d+%/.test(document.title), null, { polling: 50 }).then(() => 'mid-run');
  const end = awaitOutput(/cluster and dashboard stay up/).then(async () => {
    await page.waitForFunction(() => /✓ done/.test(document.title));
    await page.waitForSelector('#results [data-topic="h4l/m4l"] canvas');
    await page.waitForFunction(() => Number(document.getElementById('stream').dataset.bars) > 0);
    return 'at the end of the run';
  });
  const when = await Promise.race([midRun, end]);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`dashboard-screenshot: ${out} (${when})`);
  await end;
} finally {
  await browser.close();
  if (demo.exitCode === null) {
    demo.kill('SIGINT');
    await new Promise((res) => demo.once('exit', res));
  }
}
