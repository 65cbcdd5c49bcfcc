#!/usr/bin/env node
// A launcher committed to git, so that npm links `gluon-cluster` at install time, before any build
// has made dist/ (a bin whose target is missing is not linked, and npx would then look it up
// in the public registry).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  // Under node_modules (a checkout's workspace links resolve to packages/…) this is an install of
  // a tarball packed unbuilt: the repository's .npmrc turns npm scripts off, so a plain `npm pack`
  // skips the prepack build without a word. The checkout's advice would send the user to a
  // repository root that their install directory does not have.
  const here = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
  process.stderr.write(here.split(/[\\/]/).includes('node_modules')
    ? `gluon-cluster: @gluon/deploy is installed without its dist/ (in ${here}): its tarball was packed unbuilt. `
      + 'In the Gluon checkout, pack with the build: `npm pack -w @gluon/deploy --ignore-scripts=false` (its .npmrc turns npm scripts off, '
      + 'and with them the prepack build), or `npm run build` before `npm pack`; then install the new tarballs\n'
    : 'gluon-cluster: this package is not built yet; run `npm run build` at the repository root first\n');
  process.exit(1);
}
await import(cli.href);
