/** Element types of branches, by their C++ meaning. */
export type ElementType = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float' | 'double';

export type TypedArray =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** A jagged column: entry i holds `values[offsets[i] .. offsets[i+1])`. */
export interface Jagged<T extends TypedArray = TypedArray> {
  offsets: Int32Array;
  values: T;
}

/** A fixed-size array column: entry i holds `values[i*inner .. (i+1)*inner)`. */
export interface Fixed<T extends TypedArray = TypedArray> {
  values: T;
  innerShape: number[];
}

/** What `arrays()` returns per branch. */
export type Column = TypedArray | Jagged | Fixed | string[];

export const ELEMENT_SIZE: Record<ElementType, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, float: 4, double: 8,
};

/** A fresh typed array for `n` elements of a type. */
export function allocate(type: ElementType, n: number): TypedArray {
  switch (type) {
    case 'bool': case 'uint8': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'float': return new Float32Array(n);
    case 'double': return new Float64Array(n);
  }
}

/**
 * Copies `n` big-endian elements starting at byte `at` of `dv` into `out` from index `to`.
 * One loop per type so each stays monomorphic and V8 inlines the DataView reads.
 */
export function readBigEndian(type: ElementType, dv: DataView, at: number, n: number, out: TypedArray, to: number): void {
  switch (type) {
    case 'bool': case 'uint8': case 'int8':
      (out as Uint8Array).set(new Uint8Array(dv.buffer, dv.byteOffset + at, n), to);
      return;
    case 'int16': { const o = out as Int16Array; for (let i = 0; i < n; i++) o[to + i] = dv.getInt16(at + 2 * i); return; }
    case 'uint16': { const o = out as Uint16Array; for (let i = 0; i < n; i++) o[to + i] = dv.getUint16(at + 2 * i); return; }
    case 'int32': { const o = out as Int32Array; for (let i = 0; i < n; i++) o[to + i] = dv.getInt32(at + 4 * i); return; }
    case 'uint32': { const o = out as Uint32Array; for (let i = 0; i < n; i++) o[to + i] = dv.getUint32(at + 4 * i); return; }
    case 'int64': { const o = out as BigInt64Array; for (let i = 0; i < n; i++) o[to + i] = dv.getBigInt64(at + 8 * i); return; }
    case 'uint64': { const o = out as BigUint64Array; for (let i = 0; i < n; i++) o[to + i] = dv.getBigUint64(at + 8 * i); return; }
    case 'float': { const o = out as Float32Array; for (let i = 0; i < n; i++) o[to + i] = dv.getFloat32(at + 4 * i); return; }
    case 'double': { const o = out as Float64Array; for (let i = 0; i < n; i++) o[to + i] = dv.getFloat64(at + 8 * i); return; }
  }
}
