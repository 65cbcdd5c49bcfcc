/**
 * The xxHash loops in WebAssembly (xxhash.wat), shared by the XXH3-64 of RNTuple envelopes and
 * pages (rntuple/xxh3.ts) and the XXH64 before every LZ4 block (lz4.ts): one instance, made on
 * first use, whose memory holds the input being hashed. Where no WebAssembly memory can be made
 * (each reserves gigabytes of address space, which a `ulimit -v` can refuse) the callers hash in
 * JavaScript, with the same values.
 */
import { Wasm, type WasmMemory } from './wasm-api.js';
import { XXHASH_WASM } from './xxhash-wasm.js';

/** The kernel's exports (xxhash.wat). */
export interface Kernel {
  memory: WasmMemory;
  xxh3_long(at: number, len: number): void;
  xxh64_stripes(at: number, len: number): void;
}

/** Where the kernel's memory holds the accumulators (XXH3's secret is below them), and the input. */
export const ACC_AT = 192;
export const INPUT_AT = 256;
/** Memory grown past this for a long input is dropped after it (WebAssembly memory cannot shrink). */
const KEEP_BYTES = 16 << 20;

let kernel: Kernel | null | undefined;
/** @internal For tests: `wasm` false makes every caller hash in JavaScript. */
export const xxhashKernel = { wasm: true };

/**
 * Runs `hash` with the kernel, `b` copied into its memory at {@link INPUT_AT}; returns what
 * `hash` returns, or null where the kernel cannot be had.
 */
export function withKernel<T>(b: Uint8Array, hash: (k: Kernel, memory: ArrayBuffer) => T): T | null {
  if (!xxhashKernel.wasm) return null;
  if (kernel === undefined) {
    try {
      kernel = new Wasm.Instance(new Wasm.Module(Buffer.from(XXHASH_WASM, 'base64')), {}).exports as unknown as Kernel;
    } catch {
      kernel = null;
    }
  }
  if (kernel === null) return null;
  const need = INPUT_AT + b.length - kernel.memory.buffer.byteLength;
  if (need > 0) {
    try {
      kernel.memory.grow(Math.ceil(need / 65536));
    } catch {
      return null;
    }
  }
  const mem = kernel.memory.buffer;
  new Uint8Array(mem, INPUT_AT, b.length).set(b);
  const out = hash(kernel, mem);
  if (mem.byteLength > KEEP_BYTES) kernel = undefined;
  return out;
}
