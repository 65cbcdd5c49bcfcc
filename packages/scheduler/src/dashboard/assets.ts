import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A static file served by the dashboard, read once at start-up. */
export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The package's own `assets/` folder (next to `dist/` and `src/`). */
export function assetsDir(): string {
  return fileURLToPath(new URL('../../assets/', import.meta.url));
}

/** uPlot's `dist/` folder, found by resolving the installed package (no copy, no CDN). */
export function uplotDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('uplot'));
  } catch (e) {
    throw new Error(`dashboard: cannot find the uplot package (${(e as Error).message}); it is a dependency of @gluon/scheduler, reinstall it`);
  }
}

/**
 * Every file the dashboard serves, keyed by its URL path below the prefix (`/assets/app.js`,
 * `/uplot/uPlot.iife.min.js`). Loaded into memory once: the set is small and fixed, and a
 * lookup in this map is also the whole defence against path traversal.
 */
export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const own = assetsDir();
  for (const name of readdirSync(own)) {
    const path = join(own, name);
    if (!statSync(path).isFile()) continue;
    out.set(`/assets/${name}`, { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream' });
  }
  const uplot = uplotDir();
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    out.set(`/uplot/${name}`, { body: readFileSync(join(uplot, name)), type: TYPES[extname(name)]! });
  }
  if (!out.has('/assets/index.html')) throw new Error(`dashboard: ${join(own, 'index.html')} is missing; the package was installed without its assets/ folder`);
  return out;
}
