/** Branch element types as the writer stores them: leaf class, ROOT type letter, C++ name. */
import type { ElementType } from '../types.js';
import type { WBuffer } from './wbuffer.js';

export type { ElementType };

export interface BranchType {
  size: number;
  /** Leaf-list type letter (`x/F`). */
  code: string;
  leafClass: string;
  /** C++ spelling inside `vector<...>`. */
  cxx: string;
  unsigned: boolean;
}

export const BRANCH_TYPES: Record<ElementType, BranchType> = {
  bool: { size: 1, code: 'O', leafClass: 'TLeafO', cxx: 'bool', unsigned: false },
  int8: { size: 1, code: 'B', leafClass: 'TLeafB', cxx: 'char', unsigned: false },
  uint8: { size: 1, code: 'b', leafClass: 'TLeafB', cxx: 'unsigned char', unsigned: true },
  int16: { size: 2, code: 'S', leafClass: 'TLeafS', cxx: 'short', unsigned: false },
  uint16: { size: 2, code: 's', leafClass: 'TLeafS', cxx: 'unsigned short', unsigned: true },
  int32: { size: 4, code: 'I', leafClass: 'TLeafI', cxx: 'int', unsigned: false },
  uint32: { size: 4, code: 'i', leafClass: 'TLeafI', cxx: 'unsigned int', unsigned: true },
  int64: { size: 8, code: 'L', leafClass: 'TLeafL', cxx: 'Long64_t', unsigned: false },
  uint64: { size: 8, code: 'l', leafClass: 'TLeafL', cxx: 'ULong64_t', unsigned: true },
  float: { size: 4, code: 'F', leafClass: 'TLeafF', cxx: 'float', unsigned: false },
  double: { size: 8, code: 'D', leafClass: 'TLeafD', cxx: 'double', unsigned: false },
};

function big(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
}

/** Appends values[lo..hi) big-endian as `type` (booleans as 0/1 bytes). */
export function encodeValues(buf: WBuffer, type: ElementType, values: ArrayLike<unknown>, lo: number, hi: number): void {
  const n = hi - lo;
  if (n <= 0) return;
  const { view, at } = buf.reserve(n * BRANCH_TYPES[type].size);
  switch (type) {
    case 'bool': for (let i = 0; i < n; i++) view.setUint8(at + i, values[lo + i] ? 1 : 0); return;
    case 'int8': for (let i = 0; i < n; i++) view.setInt8(at + i, Number(values[lo + i])); return;
    case 'uint8': for (let i = 0; i < n; i++) view.setUint8(at + i, Number(values[lo + i])); return;
    case 'int16': for (let i = 0; i < n; i++) view.setInt16(at + 2 * i, Number(values[lo + i])); return;
    case 'uint16': for (let i = 0; i < n; i++) view.setUint16(at + 2 * i, Number(values[lo + i])); return;
    case 'int32': for (let i = 0; i < n; i++) view.setInt32(at + 4 * i, Number(values[lo + i])); return;
    case 'uint32': for (let i = 0; i < n; i++) view.setUint32(at + 4 * i, Number(values[lo + i])); return;
    case 'int64': for (let i = 0; i < n; i++) view.setBigInt64(at + 8 * i, big(values[lo + i])); return;
    case 'uint64': for (let i = 0; i < n; i++) view.setBigUint64(at + 8 * i, big(values[lo + i])); return;
    case 'float': for (let i = 0; i < n; i++) view.setFloat32(at + 4 * i, Number(values[lo + i])); return;
    case 'double': for (let i = 0; i < n; i++) view.setFloat64(at + 8 * i, Number(values[lo + i])); return;
  }
}
