import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile } from '@gluon/rootio';

/**
 * A read's arguments given the wrong way: a string where the list of names belongs was read
 * letter by letter ("no branch named l"), and misspelt options were ignored while their defaults
 * applied (a whole tree read instead of a range, the default step, the default HTTP retries).
 */
const dir = fileURLToPath(new URL('fixtures/skhep/', import.meta.url));

t.test('TTree reads: names must be an array, and unknown option keys are refused', async (t) => {
  const path = `${dir}uproot-small-dy-withoffsets.root`;
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const name = f.keys().find((k) => k.className === 'TTree')!.name;
  const tree = await f.tree(name);
  const branch = tree.branches.find((b) => b.kind === 'scalar')!.name;
  const where = `tree "${name}" in ${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await t.rejects(tree.arrays(branch as never), {
    name: 'TypeError', message: new RegExp(`^arrays\\(\\) of ${where}: the branch names must be an array of strings, got the string "${branch}" \\(give \\["${branch}"\\]\\)$`),
  });
  await t.rejects(tree.arrays([branch], { entrystart: 5 } as never), {
    name: 'TypeError', message: new RegExp(`^arrays\\(\\) of ${where}: unknown option "entrystart" \\(did you mean "entryStart"\\?\\); the options are entryStart, entryStop, into$`),
  });
  await t.rejects(tree.iterate([branch], { stp: 10 } as never).next(), {
    name: 'TypeError', message: new RegExp(`^iterate\\(\\) of ${where}: unknown option "stp" \\(did you mean "step"\\?\\); the options are entryStart, entryStop, step, reuse$`),
  });
  await t.rejects(tree.iterate([1] as never).next(), { name: 'TypeError', message: /: the branch names must be an array of strings, got \[1\]$/ });
  // What is right still reads.
  t.equal(((await tree.arrays([branch], { entryStart: 0, entryStop: 2, into: undefined }))[branch] as ArrayLike<number>).length, 2);
});

t.test('RNTuple reads and openRootFile check the same', async (t) => {
  const path = `${dir}test_int_float_rntuple_v1-0-0-0.root`;
  await t.rejects(openRootFile(path, { metadataTimeout: 5 } as never), {
    name: 'TypeError', message: /^openRootFile\(\S+\): unknown option "metadataTimeout" \(did you mean "metadataTimeoutMs"\?\); the options are http, metadataTimeoutMs, decompressThreads$/,
  });
  await t.rejects(openRootFile(path, { http: { retry: 2 } } as never), {
    name: 'TypeError', message: /^openRootFile\(\S+\): http: unknown option "retry" \(did you mean "retries"\?\); the options are retries, backoffMs, coalesceGap, headers, timeoutMs$/,
  });
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const r = await f.rntuple(f.keys().find((k) => k.className === 'ROOT::RNTuple')!.name);
  await t.rejects(r.arrays('one_integers' as never), { name: 'TypeError', message: /^arrays\(\) of RNTuple "\S+" in \S+: the field names must be an array of strings, got the string "one_integers"/ });
  await t.rejects(r.arrays(['one_integers'], { entry_stop: 3 } as never), { name: 'TypeError', message: /unknown option "entry_stop" \(did you mean "entryStop"\?\)/ });
  await t.rejects(r.iterate(['one_integers'], { steps: 3 } as never).next(), { name: 'TypeError', message: /unknown option "steps" \(did you mean "step"\?\)/ });
});
