/**
 * The file is not what it claims to be: truncated, damaged, or not ROOT at all. Every reading
 * failure caused by file content ends in this error, naming the file, the byte offset and why.
 */
export class RootFormatError extends Error {
  constructor(readonly path: string, readonly offset: number, readonly reason: string) {
    super(`${path}: ${reason}${offset >= 0 ? ` (at byte ${offset})` : ''}`);
    this.name = 'RootFormatError';
  }
}

/** A branch whose type this reader does not decode: reported instead of read wrongly. */
export class UnsupportedBranchTypeError extends Error {
  constructor(readonly typeName: string, readonly branch: string) {
    super(`unsupported branch type ${typeName} for branch ${branch}`);
    this.name = 'UnsupportedBranchTypeError';
  }
}

/** The byte source failed (missing file, HTTP error, server without range support). */
export class RootIOError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'RootIOError';
  }
}
