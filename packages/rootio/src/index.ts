/**
 * @gluon/rootio: ROOT files for Gluon — TTrees read column by column into typed arrays, basket
 * by basket, from local paths or HTTP(S); and a streaming ROOT file writer.
 */
export { RootFile, openRootFile, type KeyInfo, type OpenOptions } from './file.js';
export { TreeReader, type Batch, type RangeOptions } from './tree.js';
export type { BranchInfo, BranchKind } from './branch.js';
export type { Histogram, Axis } from './histogram.js';
export { RootFormatError, UnsupportedBranchTypeError, RootIOError } from './errors.js';
export { openSource, LocalSource, HttpSource, type ByteSource, type HttpOptions } from './source.js';
export { decompress } from './decompress.js';
export type { Column, Jagged, Fixed, Nested, ElementType, TypedArray } from './types.js';
export * from './write/index.js';
