/**
 * One generator at a time per dataset folder (dataset-lock.ts). `npm run demo` and
 * `npm run demo:finalstates` started together on a fresh clone each found no cached dataset, and
 * the second removed the folder the first was writing into: `demo: generating llll: ENOENT …
 * mc_363490.llll.4lep.root.partial`, exit 1. Two generates into one folder wrote the same
 * `.partial` files.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDataset, generateDataset } from '../../src/generate/index.js';
import { lockHolder, tryLock } from '../../src/generate/dataset-lock.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'dataset-lock-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** A pid that ran and is gone: a child that has exited and been reaped. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

t.test('a lock is taken once; a holder gone is taken over; one on another host is named, not taken', async (t) => {
  const p = path.join(tmp, 'a.lock');
  const mine = tryLock(p, 'first');
  t.ok('release' in mine, 'taken');
  const second = tryLock(p, 'second');
  t.notOk('release' in second, 'held: not taken again');
  t.match(second, { pid: process.pid, what: 'first' }, 'says who holds it');
  if ('release' in mine) mine.release();
  t.notOk(existsSync(p), 'released: the file goes');
  writeFileSync(p, JSON.stringify({ pid: deadPid(), host: hostname(), since: 'x', what: 'killed -9' }));
  t.equal(lockHolder(p), null, 'a holder that is not running holds nothing');
  const again = tryLock(p, 'after the kill');
  t.ok('release' in again, 'a dead holder\'s lock is taken over');
  if ('release' in again) again.release();
  writeFileSync(p, JSON.stringify({ pid: deadPid(), host: 'elsewhere.example', since: 'x', what: 'a generate' }));
  const far = tryLock(p, 'here');
  t.match(far, { host: 'elsewhere.example' }, 'a holder on another host cannot be checked: it holds');
});

t.test('two generates into one folder: the second is refused naming the first, which completes', async (t) => {
  const outDir = path.join(tmp, 'gen');
  const opts = { outDir, scale: 0.01, seed: 3 };
  const results = await Promise.allSettled([generateDataset(opts), generateDataset(opts)]);
  t.equal(results[0]!.status, 'fulfilled', 'the first completes');
  t.equal(results[1]!.status, 'rejected');
  const why = results[1]!.status === 'rejected' ? String((results[1] as PromiseRejectedResult).reason?.message) : '';
  t.match(why, new RegExp(`^${outDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is being written by another generate: a generate of \\d+ sample\\(s\\) \\(pid ${process.pid}, since `));
  t.ok(existsSync(path.join(outDir, 'manifest.json')), 'the dataset is whole');
  t.same(readdirSync(outDir).filter((n) => n.startsWith('.')), [], 'no lock is left');
});

t.test('two demos at once: the second waits for the first\'s dataset and reuses it', async (t) => {
  const outDir = path.join(tmp, 'cache', 'scale-0.01-seed-1');
  const lines: string[][] = [[], []];
  const runs = [0, 1].map((i) => ensureDataset({ outDir, scale: 0.01, seed: 1, log: (l) => lines[i]!.push(l) }));
  const reused = await Promise.all(runs);
  t.same(reused.sort(), [false, true], 'one generated, the other reused it (it removed it, before)');
  t.ok(lines.flat().some((l) => /^waiting for another demo \(pid \d+, since .*\), which is generating /.test(l)), 'the one waiting says for what');
  const marker = JSON.parse(readFileSync(path.join(outDir, 'generated.json'), 'utf8'));
  t.match(marker, { scale: 0.01, seed: 1 });
  t.notOk(existsSync(`${outDir}.lock`), 'the lock is gone');
});
