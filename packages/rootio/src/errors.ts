/**
 * `text` with control characters (C0, DEL, C1, line and paragraph separators), bidirectional
 * overrides and isolates, and the invisible direction marks (LRM, RLM, ALM) written as escapes. Error messages quote key, branch and class names read from the file,
 * and a damaged or crafted file can make those names newlines, terminal escape sequences or
 * right-to-left overrides that rewrite a log line; the errors' fields keep the raw text.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const named = ESCAPES[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The file is not what it claims to be: truncated, damaged, or not ROOT at all. Every reading
 * failure caused by file content ends in this error, naming the file, the byte offset and why.
 */
export class RootFormatError extends Error {
  constructor(readonly path: string, readonly offset: number, readonly reason: string) {
    super(printable(`${path}: ${reason}${offset >= 0 ? ` (at byte ${offset})` : ''}`));
    this.name = 'RootFormatError';
  }
}

/** A branch whose type this reader does not decode: reported instead of read wrongly. */
export class UnsupportedBranchTypeError extends Error {
  constructor(readonly typeName: string, readonly branch: string) {
    super(printable(`unsupported branch type ${typeName} for branch ${branch}`));
    this.name = 'UnsupportedBranchTypeError';
  }
}

/** The byte source failed (missing file, HTTP error, server without range support). */
export class RootIOError extends Error {
  constructor(readonly path: string, reason: string) {
    super(printable(`${path}: ${reason}`));
    this.name = 'RootIOError';
  }
}
