// The one body of every package's bin launcher (packages/X/bin/*.js). Plain JavaScript committed
// to git, like the launchers: it has to work before any build has made dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Runs the package's `dist/cli.js`, or says why it cannot and exits 1.
 *
 * @param {string} launcherUrl the launcher's `import.meta.url` (the package is the folder above its bin/)
 * @param {string} command the command's name, e.g. `gluon-scheduler`
 * @param {string} pkg the package's name, e.g. `@gluon/scheduler`
 * @returns {Promise<void>}
 */
export async function launch(launcherUrl, command, pkg) {
  const cli = new URL('../dist/cli.js', launcherUrl);
  if (existsSync(cli)) {
    await import(cli.href);
    return;
  }
  // Under node_modules (a checkout's workspace links resolve to packages/…) this is an install of
  // a tarball packed unbuilt: the repository's .npmrc turns npm scripts off, so a plain `npm pack`
  // skips the prepack build without a word. The checkout's advice would send the user to a
  // repository root that their install directory does not have.
  const here = fileURLToPath(new URL('..', launcherUrl)).replace(/[\\/]$/, '');
  process.stderr.write(here.split(/[\\/]/).includes('node_modules')
    ? `${command}: ${pkg} is installed without its dist/ (in ${here}): its tarball was packed unbuilt. `
      + `In the Gluon checkout, pack with the build: \`npm pack -w ${pkg} --ignore-scripts=false\` (its .npmrc turns npm scripts off, `
      + 'and with them the prepack build), or `npm run build` before `npm pack`; then install the new tarballs\n'
    : `${command}: this package is not built yet; run \`npm run build\` at the repository root first\n`);
  process.exit(1);
}
