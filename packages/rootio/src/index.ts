/**
 * @gluon/rootio: ROOT files for Gluon — TTrees and RNTuples read column by column into typed
 * arrays, from local paths or HTTP(S); histograms; and a streaming ROOT file writer.
 */
export { RootFile, openRootFile, type KeyInfo, type OpenOptions } from './file.js';
export { TreeReader, type ArraysOptions, type Batch, type IterateOptions, type RangeOptions } from './tree.js';
export { RNTupleReader } from './rntuple/reader.js';
export type { BranchInfo, BranchKind } from './branch.js';
export type { Histogram, Axis, ProfileSums } from './histogram.js';
export { RootFormatError, UnsupportedBranchTypeError, RootIOError } from './errors.js';
export { openSource, LocalSource, HttpSource, type ByteSource, type HttpOptions } from './source.js';
export { decompress } from './decompress.js';
export type { Column, Jagged, Fixed, Nested, ElementType, TypedArray } from './types.js';
export * from './write/index.js';
