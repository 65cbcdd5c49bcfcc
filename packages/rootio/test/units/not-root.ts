/**
 * A file that is not ROOT's is named as such, with its path, even when its first four bytes
 * happen to read "root" (`/etc/passwd` begins "root:x:0:0"): not reported as a truncated or
 * damaged ROOT file.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, RootFormatError } from '@gluon/rootio';

const dir = mkdtempSync(join(tmpdir(), 'rootio-not-root-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('text beginning with "root" is not a ROOT file', async (t) => {
  const path = join(dir, 'passwd');
  writeFileSync(path, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\n');
  const err = await openRootFile(path).then(() => null, (e: unknown) => e);
  t.ok(err instanceof RootFormatError, `a RootFormatError, got ${String(err)}`);
  t.match((err as Error).message, /not a ROOT file: it starts with "root" but its format version reads 980957744/);
  t.match((err as Error).message, path);
  t.notMatch((err as Error).message, /truncated|damaged/);
});

t.test('files the writer makes, small and with a big version, still open', async (t) => {
  const path = join(dir, 'ok.root');
  const w = await RootFileWriter.create(path);
  w.createTree('events', 'one branch', [{ name: 'x', type: 'int32' }]);
  await w.close();
  const f = await openRootFile(path);
  t.equal((await f.tree('events')).numEntries, 0);
  await f.close();
});
