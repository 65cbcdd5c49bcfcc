/**
 * The README's first example run as a new user runs it: its `// tasks.ts` and `// main.ts`
 * blocks written to a new directory, that directory set up by the README's own `npm init`/`npm
 * pkg` commands (its `npm install` is this checkout's node_modules, linked: the packages and tsx),
 * then `npx tsx main.ts`, whose output must be the numbers the example's comments promise.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { fencedBlocks } from '../../../../test/helpers/readme-blocks.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const readme = readFileSync(join(root, 'packages', 'client', 'README.md'), 'utf8');
/** A user's shell: none of the npm_* variables of a `npm test` running this. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || k === 'npm_config_cache'));

/** The README's ```ts block whose first line is `// NAME`. */
function tsBlock(name: string): string | undefined {
  return fencedBlocks(readme, 'ts').find((b) => b.startsWith(`// ${name}`));
}

/** The `npm init …` and `npm pkg …` commands of the README's first ```sh block, as argument lists. */
function setupCommands(): string[][] {
  const block = fencedBlocks(readme, 'sh')[0] ?? '';
  return block.split('\n').flatMap((line) => line.replace(/#.*/, '').split('&&')).map((c) => c.trim().split(/\s+/))
    .filter((w) => w[0] === 'npm' && (w[1] === 'init' || w[1] === 'pkg'));
}

t.test('the client README\'s first example runs with npx tsx in a directory set up as the README says', async (t) => {
  const tasks = tsBlock('tasks.ts');
  const main = tsBlock('main.ts');
  t.ok(tasks && main, 'the README has its tasks.ts and main.ts');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-client-readme-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A user's project starts with `npm init -y` (CommonJS); the README's commands make it what main.ts needs.
  await run('npm', ['init', '-y'], { cwd: dir, env });
  for (const [cmd, ...args] of setupCommands()) if (args[0] !== 'init') await run(cmd!, args, { cwd: dir, env });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'tasks.ts'), tasks!);
  writeFileSync(join(dir, 'main.ts'), main!);
  // A bound for a hang (a local cluster of two workers at the lowest priority), not a speed target.
  const { stdout } = await run('npx', ['tsx', 'main.ts'], { cwd: dir, env, timeout: 300_000 });
  t.equal(stdout, '20\n2001000\n', 'it prints what its comments say');
});
