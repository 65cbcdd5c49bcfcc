/**
 * Parsing of the sizes and durations that every Gluon CLI accepts, with errors that name the
 * flag and show what was wrong.
 */

/** `30s`, `500ms`, `2m`, `8h` → milliseconds (a bare number means seconds). */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new RangeError(`${flag} must be a duration like 500ms, 30s, 2m or 8h, got "${v}"`);
  const unit = m[2] ?? 's';
  return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

/** The units a size may carry, for messages: the decimal and the binary ones are easily mixed up. */
const SIZE_UNITS = 'KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024';

/** `64MiB`, `2GB`, `1024` → bytes. */
export function parseBytes(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/i.exec(v.trim());
  // The forms before "got": callers that re-word the end (config keys) keep them.
  if (!m) throw new RangeError(`${flag} must be a size like 64MiB or 2GB (a number of bytes, or a number and a unit; ${SIZE_UNITS}), got "${v}"`);
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };
  return Math.round(Number(m[1]) * mult[(m[2] ?? 'B').toLowerCase()]!);
}

/**
 * What a size's text came to, for an out-of-range message: `(1000 bytes; KB, MB… are powers of
 * 1000 …)` for `1KB` against a range from 1KiB; nothing for a bare byte count.
 */
export function sizeNote(text: string, bytes: number): string {
  if (/^\s*\d+\s*$/.test(text)) return '';
  return ` (${bytes} bytes${/\d\s*[KMGT]B\s*$/i.test(text) ? `; ${SIZE_UNITS}` : ''})`;
}

/** An integer in [lo, hi]. */
export function parseIntIn(flag: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < lo || n > hi) throw new RangeError(`${flag} must be an integer from ${lo} to ${hi}, got "${v}"`);
  return n;
}

/** `5.0 MiB (5242880 bytes)`: a size as people read it, with the exact count for grepping. */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 'B';
  for (const next of units) {
    if (v < 1024) break;
    v /= 1024;
    u = next;
  }
  return u === 'B' ? `${n} bytes` : `${v.toFixed(1)} ${u} (${n} bytes)`;
}

/** `1 file`, `2 files`, `1,204 chunks`: a count with its noun agreeing (`plural` for irregular ones). */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? noun : plural}`;
}
