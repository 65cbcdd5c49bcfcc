import { createHash, type Hash } from 'node:crypto';
import { openRootFile, RootFormatError, RootIOError, UnsupportedBranchTypeError, type OpenOptions } from '@gluon/rootio';

/**
 * Everything a reader can get out of a file, as a digest: every key, every TTree's and RNTuple's
 * branch list and every readable column, every histogram, every other object. Two files with the
 * same digest read the same.
 */
export async function readAllDigest(path: string, metadataTimeoutMs: number, opts: OpenOptions = {}): Promise<string> {
  const h = createHash('sha256');
  const f = await openRootFile(path, { ...opts, metadataTimeoutMs });
  try {
    for (const k of f.keys()) {
      const id = `${k.name};${k.cycle}`;
      h.update(`\0key ${k.className}`);
      if (k.className === 'TTree' || k.className === 'ROOT::RNTuple') {
        const tree = k.className === 'TTree' ? await f.tree(id) : await f.rntuple(id);
        h.update(`${tree.numEntries}`);
        const names = tree.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
        for (const b of tree.branches) h.update(`\0${b.name}:${b.typeName}:${b.kind}`);
        const cols = await tree.arrays(names);
        for (const n of names) feed(h, cols[n]);
      } else if (/^T(H[123]|Profile)/.test(k.className)) {
        feed(h, await f.histogram(id));
      } else {
        // Objects of classes this reader does not interpret (string-example.root's std::string)
        // fail the same way damaged or not: a typed failure is part of what the file reads as.
        try {
          feed(h, await f.object(id));
        } catch (err) {
          if (classify(err, path) !== 'typed') throw err;
          h.update(`\0unreadable ${(err as Error).name}`);
        }
      }
    }
  } finally {
    await f.close();
  }
  return h.digest('hex');
}

/** Hashes a column, histogram or object: typed arrays as their bytes, the rest by structure. */
function feed(h: Hash, v: unknown, depth = 0): void {
  if (depth > 64) return; // objects that refer back to themselves: their first 64 levels say enough
  if (ArrayBuffer.isView(v)) {
    h.update(`\0${v.constructor.name}${v.byteLength}`);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    h.update(`\0[${v.length}`);
    for (const x of v) feed(h, x, depth + 1);
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v).sort()) {
      h.update(`\0.${k}`);
      feed(h, (v as Record<string, unknown>)[k], depth + 1);
    }
  } else h.update(`\0${typeof v}${String(v)}`);
}

/** How one read ended. Only the typed classes are allowed for damaged input. */
export type Outcome =
  | 'identical' // read everything, the same as the undamaged file
  | 'different' // read everything, other values (bytes no checksum covers)
  | 'typed' // RootFormatError / RootIOError / UnsupportedBranchTypeError with a message naming the file
  | 'typed, masks a raw error' // a typed error whose reason is a JavaScript engine's message from deep inside
  | 'typed, names no file' // a typed error that does not say which file
  | 'raw error' // TypeError, RangeError, anything else
  | 'hang' // not settled within the bound (the child was killed)
  | 'memory' // RSS past the bound (the child was killed)
  | 'crash'; // the child died by itself

export const DEFECTS: ReadonlySet<Outcome> = new Set(['typed, masks a raw error', 'typed, names no file', 'raw error', 'hang', 'memory', 'crash']);

/** Messages of V8 and Node themselves: a typed error carrying one was not checked for. */
const ENGINE = /Cannot read propert|is not a function|is not iterable|undefined|Invalid (typed )?array length|out of (range|bounds)|Offset is outside|Array buffer allocation failed|Maximum call stack|Invalid string length|ERR_OUT_OF_RANGE|is not defined|Cannot convert|NaN/;

/** The outcome class of an error thrown by the reader on `path`. */
export function classify(err: unknown, path: string): Outcome {
  if (err instanceof RootFormatError || err instanceof RootIOError || err instanceof UnsupportedBranchTypeError) {
    const reason = err instanceof RootFormatError ? err.reason : err.message;
    // A codec's own complaint about its block (fzstd's "offset is out of bounds") is quoted after
    // the file, the offset and what failed: that says what and where.
    if (ENGINE.test(reason) && !/(^|: )cannot decompress /.test(reason)) return 'typed, masks a raw error';
    if (!err.message.includes(path.split('/').at(-1)!)) return 'typed, names no file';
    return 'typed';
  }
  return 'raw error';
}
