import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRootFile, RootFormatError } from '@gluon/rootio';
import { sharedData } from '../helpers.js';
import { scratch } from '../damage.js';
import { serve } from '../range-server.js';

/**
 * An error raised while reading a branch's baskets (decompression, basket header, entry offsets,
 * decode) names the branch and basket, in its message and as properties, with the file and byte:
 * the damaged basket of a 51-branch read said only the file and byte until 2026-12-08.
 */
const data = sharedData();
if (!data) {
  t.skip;
} else {
  const dir = join(data, 'root-testfiles');
  const hzz = readFileSync(join(dir, 'uproot-HZZ.root'));
  const raw = readFileSync(join(dir, 'uproot-HZZ-uncompressed.root'));
  /** `bytes` with the bit `mask` of byte `at` flipped. */
  const flipped = (bytes: Uint8Array, at: number, mask: number) => {
    const out = Uint8Array.from(bytes);
    out[at]! ^= mask;
    return out;
  };

  /** The error `read` fails with (a failure if it does not). */
  async function failure(t: Test, read: () => Promise<unknown>): Promise<RootFormatError> {
    try {
      await read();
    } catch (err) {
      t.type(err, RootFormatError, (err as Error).message);
      return err as RootFormatError;
    }
    t.fail('read without an error');
    return new RootFormatError('', -1, '');
  }

  t.test('a basket whose zlib checksum fails names its branch and basket: one branch, all of them, iterate, threads, HTTP', async (t) => {
    const bytes = flipped(hzz, 142212, 0x10);
    const path = scratch(t)('hzz-jet-e.root', bytes);
    const { url } = await serve(t, bytes);
    const message = `${path}: branch Jet_E, basket 0: cannot decompress zlib block: incorrect data check (at byte 132680)`;
    for (const [where, threads] of [[path, 1], [path, 2], [url, 1], [url, 2]] as const) {
      const file = await openRootFile(where, { decompressThreads: threads });
      const tree = await file.tree('events');
      const all = tree.branches.map((b) => b.name);
      t.equal(all.length, 51);
      const reads: Array<[string, () => Promise<unknown>]> = [
        ['Jet_E', () => tree.arrays(['Jet_E'])],
        ['every branch', () => tree.arrays(all)],
        ['iterate', async () => {
          for await (const batch of tree.iterate(all, { step: 700 })) void batch;
        }],
      ];
      for (const [what, read] of reads) {
        const err = await failure(t, read);
        t.equal(err.message, message.replace(path, where), `${where}, ${threads} thread(s), ${what}`);
        t.equal(err.branch, 'Jet_E');
        t.equal(err.basket, 0);
        t.equal(err.offset, 132680);
        t.equal(err.path, where);
        // Wrapped once: the cause is the codec's error, which names no branch.
        t.type(err.cause, RootFormatError);
        t.equal((err.cause as RootFormatError).branch, undefined);
        t.equal((err.cause as RootFormatError).reason, 'cannot decompress zlib block: incorrect data check');
      }
      await file.close();
    }
  });

  t.test("a basket's header and entry offsets, damaged, name the branch, basket and entry", async (t) => {
    const write = scratch(t);
    const cases: Array<[string, number, number, string, string, number, number | undefined]> = [
      // An entry offset of Photon_Py's only basket (at byte 380421), past its data.
      ['offset', 384384, 0x10, 'branch Photon_Py: basket 0 entry 750 has an offset outside its data (at byte 380421)', 'Photon_Py', 0, 750],
      // The same basket's byte count (its key's first field).
      ['nbytes', 380421 + 3, 0x01, 'branch Photon_Py: basket 0 says it has', 'Photon_Py', 0, undefined],
    ];
    for (const [name, at, mask, said, branch, basket, entry] of cases) {
      const path = write(`${name}.root`, flipped(raw, at, mask));
      const file = await openRootFile(path);
      const tree = await file.tree('events');
      for (const names of [[branch], tree.branches.map((b) => b.name)]) {
        const err = await failure(t, () => tree.arrays(names));
        t.ok(err.message.startsWith(`${path}: ${said}`), err.message);
        t.equal(err.branch, branch);
        t.equal(err.basket, basket);
        t.equal(err.entry, entry);
      }
      await file.close();
    }
  });
}
