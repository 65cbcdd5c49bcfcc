#!/usr/bin/env node
// A launcher committed to git, so that npm links `gluon-cluster` at install time, before any build
// has made dist/ (a bin whose target is missing is not linked, and npx would then look it up
// in the public registry).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('gluon-cluster: this package is not built yet; run `npm run build` at the repository root first\n');
  process.exit(1);
}
await import(cli.href);
