import { createRequire } from 'node:module';

/**
 * glibc's `malloc_trim(0)`: hand the C heap's free pages back to the system.
 *
 * Why: after a big release the V8 heap shrinks (idle-gc.ts), but glibc keeps ~18 MiB of free
 * pages below small live blocks (Node's socket reads and codec buffers are malloc'd between
 * them), and glibc returns memory on its own only from the top of a heap. On Node 20 the
 * scheduler's RSS after releasing a million tasks stayed 1.24-1.46x its idle size
 * (docs/internals.md, "What holds the scheduler's memory after a release"); `malloc_trim(0)`
 * from gdb brought it to 1.03x. Dask's workers do the same (ctypes, `trim_memory`).
 *
 * JavaScript cannot reach libc, so the call goes through koffi, an FFI whose prebuilt binaries
 * arrive as per-platform optional packages (no compiler, no install script). It is an optional
 * dependency: where it is missing, or libc is not glibc (musl, macOS, Windows), there is no trim
 * and {@link mallocTrim} says why (the server logs it once).
 */
export interface MallocTrim {
  /** Trims; true when glibc gave memory back. */
  trim(): boolean;
}

let loaded: MallocTrim | string | undefined;

/**
 * The trim function, or a sentence saying why there is none (no glibc, koffi not installed or
 * not loadable). Loaded once, on first use: the scheduler asks only after a big release.
 */
export function mallocTrim(): MallocTrim | string {
  loaded ??= load();
  return loaded;
}

function load(): MallocTrim | string {
  if (process.platform !== 'linux') return `no malloc_trim on ${process.platform}`;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (!header?.glibcVersionRuntime) return 'no malloc_trim: the C library is not glibc';
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const fn = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
    return { trim: () => fn(0) === 1 };
  } catch (err) {
    return `no malloc_trim: the optional dependency koffi could not be loaded (${(err as Error).message.split('\n')[0]})`;
  }
}
