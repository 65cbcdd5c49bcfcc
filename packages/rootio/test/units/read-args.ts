import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { basename, relative } from 'node:path';
import { openRootFile, openSource } from '@gluon/rootio';

/**
 * A read's arguments given the wrong way: a string where the list of names belongs was read
 * letter by letter ("no branch named l"), and misspelt options were ignored while their defaults
 * applied (a whole tree read instead of a range, the default step, the default HTTP retries).
 */
const dir = fileURLToPath(new URL('../fixtures/skhep/', import.meta.url));

/** The small TTree file's tree and one of its scalar branches, closed at the test's end. */
async function smallTree(t: Test) {
  const path = `${dir}uproot-small-dy-withoffsets.root`;
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const name = f.keys().find((k) => k.className === 'TTree')!.name;
  const tree = await f.tree(name);
  return { path, f, name, tree, branch: tree.branches.find((b) => b.kind === 'scalar')!.name };
}

t.test('TTree reads: names must be an array, and unknown option keys are refused', async (t) => {
  const { path, name, tree, branch } = await smallTree(t);
  const where = `tree "${name}" in ${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await t.rejects(tree.arrays(branch as never), {
    name: 'TypeError', message: new RegExp(`^arrays\\(\\) of ${where}: the branch names must be an array of strings, got the string "${branch}" \\(give \\["${branch}"\\]\\)$`),
  });
  await t.rejects(tree.arrays([branch], { entrystart: 5 } as never), {
    name: 'TypeError', message: new RegExp(`^arrays\\(\\) of ${where}: unknown option "entrystart" \\(did you mean "entryStart"\\?\\); the options are entryStart, entryStop, into$`),
  });
  // The nearest, not the first within reach: entryStart is 3 edits from it and listed first.
  await t.rejects(tree.arrays([branch], { entrystop: 5 } as never), {
    name: 'TypeError', message: new RegExp(`^arrays\\(\\) of ${where}: unknown option "entrystop" \\(did you mean "entryStop"\\?\\); `),
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

/**
 * Values of the wrong kind or range, found by the new-user trial: a bigint bound threw "Do not
 * know how to serialize a BigInt" instead of the message meant for it; a string step showed as
 * "got 5"; openRootFile's values were not checked at all (`http: { retries: 0 }` failed with an
 * empty reason "(after 0 attempts)", `timeoutMs: -1` inside fetch on every attempt, a bigint
 * timeout as damaged metadata); a URL object failed with "pathOrUrl.startsWith is not a
 * function", "" with ": no such file", and `ftp://` was looked for as a local file.
 */
t.test('values of the wrong kind name the option and show the value as given', async (t) => {
  const { path, f, name, tree, branch } = await smallTree(t);
  await t.rejects(tree.arrays([branch], { entryStop: 5n } as never), { name: 'RangeError', message: /: entryStop must be an integer \(.*\), got 5n$/ });
  await t.rejects(tree.arrays([1n] as never), { name: 'TypeError', message: /: the branch names must be an array of strings, got \["1n"\]$/ });
  await t.rejects(tree.arrays([branch], 5n as never), { name: 'TypeError', message: /: the options must be an object, got 5n$/ });
  await t.rejects(tree.iterate([branch], { step: '5' } as never).next(), { name: 'RangeError', message: new RegExp(`^iterate\\(\\) of tree "${name}" in \\S+: step must be a positive integer, got "5"$`) });

  const url = 'http://127.0.0.1:1/x.root'; // refused before any request
  const most = Math.max(64, availableParallelism());
  const bad: [string, object, RegExp][] = [
    ['retries 0', { http: { retries: 0 } }, /^openRootFile\(http:\/\/127\.0\.0\.1:1\/x\.root\): http\.retries must be an integer ≥ 1 \(the attempts per request, the first included\), got 0$/],
    ['retries as a string', { http: { retries: '3' } }, /: http\.retries must be an integer ≥ 1 .*, got "3"$/],
    ['a negative time-out', { http: { timeoutMs: -1 } }, /: http\.timeoutMs must be a number of ms > 0 and ≤ 2147483647, got -1$/],
    ['a backoff that is not a number', { http: { backoffMs: 'x' } }, /: http\.backoffMs must be a number of ms ≥ 0 .*, got "x"$/],
    ['a negative coalesceGap', { http: { coalesceGap: -5 } }, /: http\.coalesceGap must be an integer number of bytes ≥ 0, got -5$/],
    ['headers as a string', { http: { headers: 'x' } }, /: http\.headers must be an object of header names to strings, got a string$/],
    ['a bigint metadata time-out', { metadataTimeoutMs: 5n }, /: metadataTimeoutMs must be a number of ms > 0 .*, got 5n$/],
    ['a zero metadata time-out', { metadataTimeoutMs: 0 }, /: metadataTimeoutMs must be .*, got 0$/],
    ['decompressThreads as a string', { decompressThreads: '2' }, /^openRootFile\(\S+\): decompressThreads must be a positive integer ≤ \d+ \(.*\), got "2"$/],
    // Unbounded, 400 on a 2-core machine started 399 threads: a 4,000-basket read took 143 s and 5.6 GB.
    ['more decompressThreads than 64 and the cores', { decompressThreads: most + 1 },
      new RegExp(`^openRootFile\\(\\S+\\): decompressThreads must be a positive integer ≤ ${most} \\(the larger of 64 and this machine's ${availableParallelism()} cores: each thread holds ~12 MB, and threads beyond the cores only take turns\\), got ${most + 1}$`)],
    ['a million decompressThreads', { decompressThreads: 1e6 }, /: decompressThreads must be a positive integer ≤ \d+ .*, got 1000000$/],
  ];
  for (const [what, opts, message] of bad) {
    await t.rejects(openRootFile(url, opts as never), { message }, what);
    await t.rejects(openRootFile(path, opts as never), { message: /must be/ }, `${what}, for a local file too`);
  }

  await t.rejects(openRootFile('' as never), { name: 'TypeError', message: /^openRootFile: the file must be a path, a file: URL or an http\(s\) URL \(a string or a URL\), got an empty string$/ });
  await t.rejects(openRootFile(42 as never), { name: 'TypeError', message: /, got 42$/ });
  await t.rejects(openRootFile('ftp://127.0.0.1/x.root'), { name: 'TypeError', message: /^openRootFile\(ftp:\/\/127\.0\.0\.1\/x\.root\): a ftp: URL cannot be read; give a path, a file: URL or an http\(s\) URL$/ });
  // A user name or password in the URL: refused at once, the password not repeated (it was retried
  // as transient and the last error printed it).
  for (const u of ['http://ann:s3cret@127.0.0.1:9/f.root', new URL('https://ann:s3cret@127.0.0.1:9/f.root'), 'http://ann@127.0.0.1:9/f.root']) {
    const err = await openRootFile(u).then(() => null, (e: Error) => e);
    t.match(err, { name: 'TypeError', message: /^openRootFile\(https?:\/\/ann(:\*\*\*)?@127\.0\.0\.1:9\/f\.root\): a URL with a user name or password cannot be read \(fetch does not send them\); give them as a header instead: .*Authorization/ }, `${u}: refused at once`);
    t.notMatch(err?.message, /s3cret/, `${u}: the password is not in the message`);
  }
  // A URL object is read as its href.
  const byUrl = await openRootFile(new URL(`file://${path}`));
  t.teardown(() => byUrl.close());
  t.same(byUrl.keys(), f.keys(), 'a URL object opens the file');
  // What is right still opens.
  const atMost = await openRootFile(path, { decompressThreads: most });
  t.teardown(() => atMost.close());
  const ok = await openRootFile(path, { metadataTimeoutMs: 10_000, decompressThreads: 1, http: { retries: 1, backoffMs: 0, coalesceGap: 0, timeoutMs: 1000, headers: { 'x-a': 'b' } } });
  t.teardown(() => ok.close());
  t.equal(ok.keys().length, f.keys().length);
});

/**
 * A relative `file:` URL (`file:data/x.root`, as uproot reads it) was looked for from `/`: Node's
 * URL parser makes it `file:///data/x.root` ("/data/x.root: no such file (no data in /)"), and
 * `file:../x.root` lost its `..`. `FILE:` was taken for a path ("no such file (no FILE: in …)"), and
 * a URL naming a host (`file://data/x.root`) failed as damaged metadata (RootFormatError "reading the
 * file header … failed: File URL host must be "localhost" or empty on linux").
 */
t.test('a file: URL: a relative one from the working directory, a host refused naming the forms that work', async (t) => {
  const { path, f } = await smallTree(t);
  const rel = relative(process.cwd(), path);
  t.notMatch(rel, /^(\.\.|\/)/, 'the fixture is below the working directory (tap runs from the checkout)');
  const up = `../${basename(process.cwd())}/${rel}`;
  const forms = [`file:${rel}`, `file:./${rel}`, `file:${up}`, `file:${rel.replace('uproot', 'upr%6Fot')}`, `FILE://${path}`, `file://localhost${path}`, `file:${path}`];
  for (const u of forms) {
    const g = await openRootFile(u);
    t.equal(g.path, path, `${u}: the fixture`);
    t.same(g.keys(), f.keys(), `${u}: its keys`);
    await g.close();
  }
  await t.rejects(openRootFile(`file:${rel}.nope`), { name: 'RootIOError', message: new RegExp(`^${path.replace(/[.]/g, '\\.')}\\.nope: no such file`) }, 'a missing one names the path looked for');
  const host = rel.slice(0, rel.indexOf('/'));
  await t.rejects(openRootFile(`file://${rel}`), { name: 'TypeError', message: `openRootFile(file://${rel}): a file: URL names a file on this machine, so its host must be empty or localhost, not "${host}": give file:///absolute/path.root, or file:${rel} (or the plain path) for a path from the working directory` });
  await t.rejects(openSource(`file://${rel}`), { name: 'TypeError', message: /^openSource\(file:\/\/\S+\): a file: URL names a file on this machine/ });
});

/**
 * `into` that is not an earlier read's columns was quietly ignored (found by the new-user trial:
 * `into: cols.lep_n`, one column instead of the read's object, reused nothing and said nothing),
 * and `reuse: 'yes'` was taken as true.
 */
t.test('into must be an earlier read\'s columns, reuse a boolean', async (t) => {
  const { path, name, tree, branch } = await smallTree(t);
  const first = await tree.arrays([branch], { entryStart: 0, entryStop: 2 });
  const column = first[branch] as ArrayBufferView;
  await t.rejects(tree.arrays([branch], { into: column } as never), {
    name: 'TypeError',
    message: new RegExp(`^arrays\\(\\) of tree "${name}" in \\S+: into must be the columns of an earlier read \\(the object arrays\\(\\) returned\\), got a ${column.constructor.name} \\(give the whole result of the earlier read, not one of its columns\\)$`),
  });
  await t.rejects(tree.arrays([branch], { into: 'abc' } as never), { name: 'TypeError', message: /: into must be the columns of an earlier read .*, got "abc"$/ });
  await t.rejects(tree.arrays([branch], { into: [column] } as never), { name: 'TypeError', message: /: into must be .*, got \[/ });
  await t.rejects(tree.iterate([branch], { step: 1, reuse: 'yes' } as never).next(), { name: 'TypeError', message: new RegExp(`^iterate\\(\\) of tree "${name}" in \\S+: reuse must be true or false, got "yes"$`) });
  // What is right still reads, and null means none.
  t.equal(((await tree.arrays([branch], { entryStart: 0, entryStop: 2, into: first }))[branch] as ArrayLike<number>).length, 2);
  t.equal(((await tree.arrays([branch], { entryStart: 0, entryStop: 2, into: null } as never))[branch] as ArrayLike<number>).length, 2);
  for await (const b of tree.iterate([branch], { step: 1, entryStop: 2, reuse: true })) t.equal((b.columns[branch] as ArrayLike<number>).length, 1);
});


/**
 * One jagged or fixed-size column given as `into` (`into: prev.lep_pt`, which the README calls a
 * TypeError) was taken: its offsets and values were reused as two columns' memory (see
 * units/shared-offsets for what that overwrote).
 */
t.test('one column of an object kind as into is refused, naming its members', async (t) => {
  const f = await openRootFile(`${dir}uproot-small-evnt-tree-fullsplit.root`);
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  const first = await tree.arrays(['evt/SliceI16', 'evt/ArrayI16[10]'], { entryStart: 0, entryStop: 50 });
  const where = /^arrays\(\) of tree "tree" in \S+: into must be the columns of an earlier read \(the object arrays\(\) returned\), got one column, /;
  await t.rejects(tree.arrays(['evt/SliceI64'], { entryStart: 50, entryStop: 100, into: first['evt/SliceI16'] } as never), {
    name: 'TypeError', message: new RegExp(`${where.source}\\{offsets, values\\} \\(give the whole result of the earlier read, not one of its columns\\)$`),
  });
  await t.rejects(tree.arrays(['evt/ArrayI32[10]'], { into: first['evt/ArrayI16[10]'] } as never), {
    name: 'TypeError', message: new RegExp(`${where.source}\\{values, innerShape\\} `),
  });
  // The read's whole result still reads.
  t.equal(((await tree.arrays(['evt/SliceI64'], { entryStart: 50, entryStop: 100, into: first }))['evt/SliceI64'] as { offsets: Int32Array }).offsets.length, 51);
});

/**
 * An object's name that is not a string (`f.tree()`, `f.tree(3)`, a key object for its name)
 * failed inside the path lookup with "Cannot read properties of undefined (reading 'replace')"
 * or "path.replace is not a function", naming neither the call nor the file (new-user trial).
 */
t.test('tree(), histogram(), object() and rntuple() take a string name, and say so', async (t) => {
  const { path, f, name } = await smallTree(t);
  const key = f.keys()[0]!;
  for (const call of ['tree', 'histogram', 'object', 'rntuple'] as const) {
    for (const [bad, shown] of [[undefined, 'undefined'], [3, '3'], [key, JSON.stringify(key)], [['a'], '["a"]']] as const) {
      await t.rejects((f[call] as (n: unknown) => Promise<unknown>).call(f, bad), {
        name: 'TypeError',
        message: `${call}() in ${path}: the name must be a string, a path as keys() lists them ("mini", "dir/tree", "mini;1"), got ${shown}`,
      }, `${call}(${shown})`);
    }
  }
  // A string still reads.
  t.equal((await f.tree(name)).name, name);
});
