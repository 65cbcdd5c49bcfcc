/**
 * Log lines quote what peers sent (names, versions, ops, addresses, reasons), and a peer may
 * send any characters: a newline then a timestamp would forge a line of its own, a carriage
 * return or a terminal escape would hide or rewrite what the line says. {@link logText} makes a
 * line safe to write: other lines it holds (a stack trace) stay lines, indented so none reads as
 * a line of the log, and every other control character is written as an escape.
 */

/** C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidirectional overrides. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\n(?! {4})/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /\r\n|\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A control character as {@link logText} escapes it (line breaks and tabs included): what a name
 * or host a peer gives may not hold (see schema.ts, `str({ plain: true })`).
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * `line` as it may be written to a log: each line break followed by four spaces (a continuation,
 * never a line of its own), every other control character as `\r`, `\uXXXX`. A line with none
 * is returned as it is (one regular-expression test).
 */
export function logText(line: string): string {
  if (!UNSAFE.test(line)) return line;
  return line.replace(UNSAFE_ALL, (c) => {
    if (c === '\n' || c === '\r\n') return '\n    ';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
