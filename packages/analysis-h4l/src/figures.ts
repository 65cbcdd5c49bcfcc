/**
 * A count or a rate as the analyses' consoles print it: a whole number with thousands separated
 * (188,686), as countOf() (@gluon/protocol) prints a count with its noun, so the lines of one run
 * read alike.
 */
export function figure(n: number): string {
  return Math.round(n).toLocaleString('en');
}
