/** One member of a class as ROOT's TStreamerElement describes it. */
export interface ElementDescription {
  kind: 'base' | 'basic' | 'string' | 'object' | 'any' | 'pointer' | 'basicPointer' | 'stl';
  name: string;
  title: string;
  /** ROOT's EReadWrite type code (kInt = 3, kObject = 61, kOffsetP + kDouble = 48, ...). */
  type: number;
  size: number;
  typeName: string;
  arrayLength?: number;
  arrayDim?: number;
  maxIndex?: number[];
  baseVersion?: number;
  countName?: string;
  countClass?: string;
  countVersion?: number;
  stlType?: number;
  ctype?: number;
}

/** A class's streamer: its version, checksum and members in on-disk order. */
export interface ClassDescription {
  version: number;
  checkSum: number;
  elements: ElementDescription[];
}
