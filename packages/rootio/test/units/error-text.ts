import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, RootFormatError, RootIOError, UnsupportedBranchTypeError } from '../../src/index.js';

/** Anything that would break or rewrite a log line: what no error message may carry raw. */
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

t.test('a key name of a newline, a terminal escape, a carriage return and a NUL is quoted escaped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-error-text-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'names.root');
  const evil = 'evil\n\x1b[2Jname\r\x00';
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'none', level: 0 } });
  const tw = w.createTree(evil, 'a tree with a hostile name', [{ name: 'x', type: 'int32' }]);
  await tw.append({ x: Int32Array.of(1, 2, 3) });
  await w.close();

  const f = await openRootFile(path);
  t.teardown(() => f.close());
  t.equal(f.keys()[0]!.name, evil, 'the API keeps the raw name');
  const err = await f.tree('nope').then(() => null, (e: unknown) => e);
  t.type(err, RootFormatError);
  const message = (err as Error).message;
  t.notMatch(message, UNPRINTABLE, `no raw control character: ${JSON.stringify(message)}`);
  t.ok(message.includes('evil\\n\\x1b[2Jname\\r\\x00 (TTree)'), `the name is shown escaped: ${message}`);
  t.ok((err as RootFormatError).reason.includes(evil), 'the reason field keeps the raw name');
});

t.test('every error type escapes what it quotes', async (t) => {
  const io = new RootIOError('/data/a\nb.root', 'no such file');
  t.equal(io.message, '/data/a\\nb.root: no such file');
  const unsupported = new UnsupportedBranchTypeError('Cls\x1b]0;title\x07', 'br\u2028');
  t.equal(unsupported.message, 'unsupported branch type Cls\\x1b]0;title\\x07 for branch br\\u2028');
  t.equal(unsupported.typeName, 'Cls\x1b]0;title\x07', 'fields stay raw');
  const format = new RootFormatError('f.root', 12, 'key \x7f\x85\t');
  t.equal(format.message, 'f.root: key \\x7f\\x85\\t (at byte 12)');
  t.equal(new RootFormatError('f.root', -1, 'right\u202eleft').message, 'f.root: right\\u202eleft', 'a right-to-left override');
  t.equal(new RootFormatError('f.root', -1, 'plain ünïcödé name').message, 'f.root: plain ünïcödé name', 'printable text is left alone');
});
