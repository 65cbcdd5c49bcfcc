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
  /**
   * The branch (TTree) whose baskets were being read when this arose, and the basket's index in
   * it and the entry of the tree, where known: the message names them too. A damaged basket
   * otherwise said only the file and byte, and a read of 51 branches left the caller to guess
   * which one to drop.
   */
  branch?: string;
  basket?: number;
  entry?: number;

  constructor(readonly path: string, readonly offset: number, readonly reason: string, where?: { basket?: number; entry?: number }) {
    super(printable(`${path}: ${reason}${offset >= 0 ? ` (at byte ${offset})` : ''}`));
    this.name = 'RootFormatError';
    if (where?.basket !== undefined) this.basket = where.basket;
    if (where?.entry !== undefined) this.entry = where.entry;
  }
}

/**
 * `err` as an error of branch `branch` (in basket `basket`, when known): a RootFormatError that
 * names no branch yet becomes one whose message starts `branch NAME, basket K:` (its cause the
 * original), with the same file and byte; one whose reason already starts `branch NAME:` gets the
 * property only. Anything else (an I/O error, an error already naming its branch) is returned as
 * it is, so an error passing several such places is wrapped once.
 */
export function inBranch(err: unknown, branch: string, basket?: number): unknown {
  if (!(err instanceof RootFormatError) || err.branch !== undefined) return err;
  const k = basket ?? err.basket;
  if (err.reason.startsWith(`branch ${branch}: `)) {
    err.branch = branch;
    if (k !== undefined) err.basket = k;
    return err;
  }
  // A basket's own errors say `basket K …` already: the index is not said twice.
  const says = k !== undefined && err.reason.startsWith(`basket ${k} `);
  const out = new RootFormatError(err.path, err.offset, `branch ${branch}${k !== undefined && !says ? `, basket ${k}` : ''}: ${err.reason}`, { basket: k, entry: err.entry });
  out.branch = branch;
  out.cause = err;
  return out;
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
