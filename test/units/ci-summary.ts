import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * .ci/run ends with scripts/ci-summary.sh. A CI that keeps only the end of the output showed
 * `36536 passed, 1 failed` and nothing that said which test failed: the failures are now listed
 * just before the last two lines. failures.tap is real tap 21 output (a file with two failing
 * assertions in nested subtests, one file killed by tap's timeout).
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const summary = join(root, 'scripts', 'ci-summary.sh');
const failures = join(root, 'test', 'fixtures', 'tap', 'failures.tap');
const run = (log: string, status: string) => spawnSync('bash', [summary, log, status], { encoding: 'utf8' });

const dir = mkdtempSync(join(tmpdir(), 'gluon-ci-summary-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a failing run: each failure by its path, with its diff and not its source, before the two last lines', async (t) => {
  const r = run(failures, '1');
  t.equal(r.status, 1, "tap's status is kept");
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.at(-1), '2 passed, 3 failed', 'the last line');
  t.equal(lines.at(-2), '0 skipped');
  t.equal(lines[0], 'failed (3):');
  const paths = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim());
  t.same(paths, ['test/failing.test.ts › outer group › inner thing › one is two', 'test/failing.test.ts › times out › rejects right', 'timeout!'],
    'the failing assertions, not the subtests that hold them; the file tap killed');
  t.match(r.stdout, /\+Error: boom: not within 60000 ms/, "the rejection's message, from its diff");
  t.match(r.stdout, /expired: test\/hanging\.test\.ts/, 'which file timed out');
  t.notMatch(r.stdout, /t\.test\('other'|-{5,}\^/, 'no quoted source');
  t.notMatch(r.stdout, /fileName:/, 'no at: block (the stack says where)');
});

t.test('a passing run: no failure list, and the counts', async (t) => {
  const log = join(dir, 'pass.tap');
  writeFileSync(log, 'TAP version 14\n# Subtest: test/a.test.ts\n    ok 1 - fine\n    1..1\nok 1 - test/a.test.ts # time=3ms\n\n# { total: 3, pass: 2, fail: 0, skip: 1 }\n');
  const r = run(log, '0');
  t.equal(r.status, 0);
  t.equal(r.stdout, '1 skipped\n2 passed, 0 failed\n');
});

t.test('a log with no summary fails, even when tap said 0', async (t) => {
  const log = join(dir, 'cut.tap');
  writeFileSync(log, 'TAP version 14\n# Subtest: test/a.test.ts\n');
  const r = run(log, '0');
  t.equal(r.status, 1);
  t.match(r.stdout, /^no tap summary found\n0 skipped\n0 passed, 0 failed\n$/);
});

t.test('more failures than it shows: it says how many more', async (t) => {
  const log = join(dir, 'many.tap');
  const body = Array.from({ length: 13 }, (_, i) => `    not ok ${i + 1} - check ${i + 1}\n      ---\n      found: ${i}\n      ...\n`).join('');
  writeFileSync(log, `TAP version 14\n# Subtest: test/m.test.ts\n${body}    1..13\nnot ok 1 - test/m.test.ts\n# { total: 13, pass: 0, fail: 13 }\n`);
  const r = run(log, '1');
  t.match(r.stdout, /^failed \(13\):\n {2}test\/m\.test\.ts › check 1\n {6}found: 0\n/);
  t.match(r.stdout, /test\/m\.test\.ts › check 10\n/);
  t.notMatch(r.stdout, /check 11/);
  t.match(r.stdout, /… and 3 more \(the log above has them\)\n0 skipped\n0 passed, 13 failed\n$/);
});

t.test('tap-failures.sh on a log it cannot read: says so, exit 2', async (t) => {
  const r = spawnSync('bash', [join(root, 'scripts', 'tap-failures.sh'), join(dir, 'absent.tap')], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /cannot read the log .*absent\.tap/);
});

t.test('.ci/run ends with ci-summary.sh, given the log and tap\'s status', async (t) => {
  const ci = readFileSync(join(root, '.ci', 'run'), 'utf8').trimEnd().split('\n');
  t.equal(ci.at(-1), 'bash scripts/ci-summary.sh "$log" "$status"');
});
