/**
 * A decompression job's ring (inflate-pool.ts) in a shared WebAssembly memory with a std::vector
 * kernel of its own (vector-walk.wat, importing that memory), so the reading thread walks each
 * basket a thread decompressed where it lies instead of first copying it into its own kernel's
 * memory (~360 MB a read of bench/rootio.ts's 7 branches). The memory holds the kernel's constants,
 * its output regions (laid out for the job's largest slot, used by the reading thread only), then
 * the slots, which the threads write into:
 *
 *     [0, BASE) constants | values | offsets | a run's starts | slots … | SLACK
 *
 * One memory is kept while jobs follow each other, as read-memory.ts keeps a ring (dropped after
 * KEEP_MS without one). Where a shared memory cannot be made (a virtual-memory limit, see
 * vector-walk.ts), the ring is plain shared memory, as before, and baskets are copied into the
 * reading thread's kernel.
 */
import { giveRingMemory, KEEP_MAX_BYTES, KEEP_MS, takeRingMemory } from './read-memory.js';
import { BASE, dataBytes, outputRegions, PAGE, ringPlaces, SLACK, type Kernel } from './vector-walk.js';
import { Wasm, type WasmMemory, type WasmModule } from './wasm-api.js';
import { VECTOR_WALK_SHARED_WASM } from './vector-walk-wasm.js';

/** The shared memory's maximum, in pages, as the kernel declares it (assemble-wasm.mjs). */
const MAX_PAGES = 65536;

/** A shared memory with its kernel. */
interface SharedKernel {
  memory: WasmMemory;
  walk: Kernel['walk'];
}

/** A job's ring: its slots start at byte `at` of `buffer`. */
export interface Ring {
  buffer: SharedArrayBuffer;
  at: number;
  /** The memory and kernel behind `buffer`; null for a plain shared ring (no kernel of its own). */
  kernel: SharedKernel | null;
}

/** @internal For tests: shared memories made for rings so far (a job that finds none kept makes one). */
export const ringStats = { made: 0 };

let compiled: WasmModule | null = null;
/** Set once a shared memory could not be made on this thread: every ring after is plain. */
let unavailable = false;
let kept: SharedKernel | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;

/** A ring of `window` slots of `slotBytes` (a multiple of 8) each, until {@link giveRing}. */
export function takeRing(window: number, slotBytes: number): Ring {
  const data = dataBytes(slotBytes);
  // Slots at a multiple of 64: each then starts at a multiple of 8, as inflate-pool.ts needs.
  const at = Math.ceil(outputRegions(BASE, data).end / 64) * 64;
  const hi = at + window * slotBytes;
  const kernel = unavailable ? null : kernelFor(hi + SLACK);
  if (!kernel) return { buffer: takeRingMemory(window * slotBytes), at: 0, kernel: null };
  ringPlaces.set(kernel.memory.buffer, { walk: kernel.walk, memory: kernel.memory, out: BASE, data, lo: at, hi });
  return { buffer: kernel.memory.buffer as unknown as SharedArrayBuffer, at, kernel };
}

/** No thread and no reader uses `ring` any more: the next job may reuse it. */
export function giveRing(ring: Ring): void {
  if (!ring.kernel) return void giveRingMemory(ring.buffer);
  const bytes = ring.kernel.memory.buffer.byteLength;
  if (bytes > KEEP_MAX_BYTES || (kept && kept.memory.buffer.byteLength >= bytes)) return;
  kept = ring.kernel;
  if (timer) timer.refresh();
  else {
    timer = setTimeout(() => {
      timer = null;
      kept = null;
    }, KEEP_MS);
    timer.unref();
  }
}

/** The kept memory grown to `bytes`, or a new one; null where none can be made. */
function kernelFor(bytes: number): SharedKernel | null {
  const pages = Math.ceil(bytes / PAGE);
  const k = kept;
  kept = null;
  if (k) {
    const have = k.memory.buffer.byteLength / PAGE;
    try {
      if (pages > have) k.memory.grow(pages - have);
      return k;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      // Dropped: a new memory of the size needed may still be made.
    }
  }
  try {
    const memory = new Wasm.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    ringStats.made++;
    compiled ??= new Wasm.Module(Buffer.from(VECTOR_WALK_SHARED_WASM, 'base64'));
    const exports = new Wasm.Instance(compiled, { env: { memory } }).exports as unknown as Kernel;
    return { memory, walk: exports.walk };
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    unavailable = true;
    return null;
  }
}
