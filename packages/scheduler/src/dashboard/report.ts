import { posix } from 'node:path';
import { REPORT_SLOT } from '@gluon/protocol';
import type { Asset } from './assets.js';

/**
 * The performance report's page: the dashboard's own page with every asset it loads inlined, so
 * one HTML file renders the same views from disk, offline. Stylesheets, icons and classic scripts
 * become `data:` URLs; ES modules go in an import map under `@gluon-report/<path>` (their
 * relative imports rewritten to those names), since a `file://` page can load no module files.
 * A Content-Security-Policy forbids every network request, and the recording goes in a JSON
 * script element whose text is {@link REPORT_SLOT} (the client fills it; assets/replay.js reads it).
 */

const PAGE = '/assets/index.html';
const WORKER_PAGE = '/assets/worker.html';
/** Where the page is served (its relative URLs resolve from here). */
const PAGE_URL = '/index.html';
const MODULE_PREFIX = '@gluon-report';

/** No fetch, no socket, no remote script, style, image or font: the report only reads itself. */
const CSP = "default-src 'none'; script-src 'unsafe-inline' data:; style-src 'unsafe-inline' data:; img-src data:; font-src data:";

function dataUrl(asset: Asset): string {
  return `data:${asset.type.split(';')[0]};base64,${asset.body.toString('base64')}`;
}

/** The asset a page-relative URL names (`assets/x.css` → `/assets/x.css`), or an error naming it. */
function resolveAsset(assets: Map<string, Asset>, from: string, url: string): [string, Asset] {
  const path = posix.normalize(posix.join(posix.dirname(from), url.split(/[?#]/)[0]!));
  const asset = assets.get(path);
  if (!asset) throw new Error(`performance report: ${from} refers to ${url} (${path}), which is not one of the dashboard's assets`);
  return [path, asset];
}

/** `from './x.js'`, `import './x.js'` and `import('./x.js')` with the relative specifier's groups. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"\n]+)\2/g;

/** A module's text with its relative imports pointing at import-map names. */
function rewriteImports(path: string, text: string): string {
  return text.replace(SPECIFIER, (_m, lead: string, q: string, spec: string) => `${lead}${q}${MODULE_PREFIX}${posix.normalize(posix.join(posix.dirname(path), spec))}${q}`);
}

/** The self-contained report page for the dashboard whose assets are `assets` (see {@link loadAssets}). */
export function reportShell(assets: Map<string, Asset>): string {
  const page = assets.get(PAGE);
  if (!page) throw new Error(`performance report: the dashboard has no ${PAGE}`);
  const imports: Record<string, string> = {};
  for (const [path, asset] of assets) {
    if (path.endsWith('.js') && asset.type.startsWith('text/javascript') && path.startsWith('/assets/')) {
      imports[`${MODULE_PREFIX}${path}`] = `data:text/javascript;base64,${Buffer.from(rewriteImports(path, asset.body.toString('utf8'))).toString('base64')}`;
    }
  }
  let html = page.body.toString('utf8');
  // Module entry points: an inline import of their import-map name.
  html = html.replace(/<script\b([^>]*)\btype="module"([^>]*)\bsrc="([^"]+)"([^>]*)><\/script>/g, (_m, _a, _b, src: string) => {
    const [path] = resolveAsset(assets, PAGE_URL, src);
    return `<script type="module">import '${MODULE_PREFIX}${path}';</script>`;
  });
  // Classic scripts, stylesheets and icons: data: URLs.
  html = html.replace(/(<(?:script|link)\b[^>]*?\b(?:src|href)=")([^"]+)(")/g, (m, head: string, url: string, tail: string) => {
    if (/^(?:data:|@)/.test(url)) return m;
    return `${head}${dataUrl(resolveAsset(assets, PAGE_URL, url)[1])}${tail}`;
  });
  const head = [
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    `<script type="importmap">${JSON.stringify({ imports }).replace(/</g, '\\u003c')}</script>`,
    `<script type="application/json" id="gluon-recording">${REPORT_SLOT}</script>`,
  ].join('\n');
  // Worker pages: worker.html's panels as a template the replay draws each recorded worker into.
  const workerMain = /<main>([\s\S]*?)<\/main>/.exec(assets.get(WORKER_PAGE)?.body.toString('utf8') ?? '');
  if (workerMain) html = html.replace('</body>', () => `<template id="report-worker-page">${workerMain[1]}</template>\n</body>`);
  // After the charset declaration, which must stay within the page's first 1024 bytes.
  const anchor = /<meta charset="[^"]*">/.exec(html) ?? /<head>/.exec(html);
  if (!anchor) throw new Error(`performance report: ${PAGE} has no <head>`);
  const at = anchor.index + anchor[0].length;
  return `${html.slice(0, at)}\n${head}${html.slice(at)}`;
}
