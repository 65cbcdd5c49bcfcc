/**
 * The part of the WebAssembly API this package uses: Node has it on every version, but this
 * project's `lib` (ES2023, no DOM) and @types/node 20 do not declare it. Declared in this module
 * only (not globally), so a later @types/node that declares it cannot clash.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
/** Node's WebAssembly, typed by the declaration above. */
export const Wasm: typeof WebAssembly = WebAssembly;
export type WasmMemory = WebAssembly.Memory;
export type WasmModule = WebAssembly.Module;
