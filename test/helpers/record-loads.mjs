/**
 * A preload (`node --import ./record-loads.mjs`) that appends every module the process loads
 * through the ES module loader to the file named by $GLUON_RECORD_LOADS, one `PID URL` a line,
 * and as it exits every CommonJS file that require() loaded (require.cache; a `require('ws')`
 * goes past the hooks on Node 20): test/clis/cli-loads.ts reads which modules a CLI's path
 * loaded. The same file holds the hooks, which run on the loader's own thread (module.register,
 * on Node 20, 22 and 24 alike).
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

let out;

/** On the hooks thread: where to write. */
export function initialize(data) {
  out = data.out;
}

/** On the hooks thread: each module as it is loaded (a CommonJS one imported from ESM too). */
export async function load(url, context, next) {
  appendFileSync(out, `${process.pid} ${url}\n`);
  return next(url, context);
}

if (isMainThread && process.env.GLUON_RECORD_LOADS) {
  const file = process.env.GLUON_RECORD_LOADS;
  register(import.meta.url, { data: { out: file } });
  const { cache } = createRequire(import.meta.url);
  process.on('exit', () => {
    const lines = Object.keys(cache).map((f) => `${process.pid} ${pathToFileURL(f).href}\n`).join('');
    if (lines) appendFileSync(file, lines);
  });
}
