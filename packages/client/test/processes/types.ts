/** The public API's types, checked by the TypeScript compiler against test-types/usage.ts. */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

t.test('task signatures flow through submit, map, treeReduce, delayed and gather', async (t) => {
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(here, '..', '..', 'test-types', 'tsconfig.json')], { timeout: 120_000 })
    .then(() => ({ ok: true, out: '' }), (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }));
  t.equal(result.out.trim(), '', 'tsc reports nothing');
  t.ok(result.ok, 'tsc exits 0');
});
