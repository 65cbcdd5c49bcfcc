/** The ROOT file writer: histograms and trees, streamed to disk. */
export { RootFileWriter, type WriterOptions } from './file-writer.js';
export { TreeWriter, type BranchSpec, type TreeOptions, type ColumnInput, type JaggedInput } from './tree-writer.js';
export type { HistogramInput } from './histogram.js';
export { histogramInput } from './histogram-input.js';
export type { CompressionSettings } from './compress.js';
