/**
 * The manifest an earlier run left (run.json's `outputs`) names what a new run into the same
 * directory may remove: only paths inside that directory (gluon-finalstates' are in
 * subdirectories, `plots/timing.svg`), never one a damaged or hand-edited manifest points out of it.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { earlierOutputs, removeStaleOutputs, staleOutputsLine } from '../../src/stale-outputs.js';

t.test('paths inside the directory only; what this run writes again stays', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'h4l-stale-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'run');
  mkdirSync(path.join(dir, 'plots'), { recursive: true });
  for (const f of ['a.svg', 'plots/b.svg', 'plots/c.svg']) writeFileSync(path.join(dir, f), '');
  writeFileSync(path.join(root, 'outside.txt'), '');
  writeFileSync(path.join(dir, 'run.batch-0-of-2.json'), JSON.stringify({
    outputs: ['a.svg', 'plots/b.svg', 'plots/c.svg', '../outside.txt', '/etc/passwd', 'plots/../../outside.txt', './a.svg', 'plots//b.svg', 'x\\y', '', 7, 'run.batch-0-of-2.json'],
  }));
  const earlier = earlierOutputs(dir, 'run.batch-0-of-2.json');
  t.same(earlier, ['a.svg', 'plots/b.svg', 'plots/c.svg', 'run.batch-0-of-2.json']);
  t.same(earlierOutputs(dir), [], 'no run.json: nothing');
  const stale = removeStaleOutputs(dir, earlier, ['plots/c.svg'], 'run.batch-0-of-2.json');
  t.same(stale, ['a.svg', 'plots/b.svg']);
  t.notOk(existsSync(path.join(dir, 'plots', 'b.svg')));
  t.ok(existsSync(path.join(dir, 'plots', 'c.svg')) && existsSync(path.join(root, 'outside.txt')) && existsSync(path.join(dir, 'run.batch-0-of-2.json')));
  t.equal(staleOutputsLine('run', stale), 'removed 2 files an earlier run wrote in run that this run does not write: a.svg, plots/b.svg');
});
