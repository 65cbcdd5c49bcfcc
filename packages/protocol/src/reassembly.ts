/**
 * The decisions about a chunked message being received (a `{op: 'chunked', bytes}` header, then
 * raw pieces): pure functions of its state, the event and the time; the Connection allocates,
 * copies and closes. Before, every header allocated its whole size at once: a few authenticated
 * peers sending only headers of 1 GiB took gigabytes of address space and of V8's
 * external-memory count, and under an address-space limit (`ulimit -v`, common on batch nodes)
 * the allocation past it threw out of the socket's callback and ended the scheduler. Dask's
 * comms read a frame into a buffer of its announced size too.
 *
 * Now what headers may claim before their bytes come is bounded in total, per process
 * ({@link HEADER_CLAIM_BUDGET_BYTES}): within it a message gets its whole buffer at once (one
 * allocation, no copy: the usual case, one or two large messages at a time); past it, memory is
 * taken as the pieces arrive, in a buffer that at most doubles when it grows, so that peer holds
 * what it sent (twice that while a grow copies), not what it announced. Growing costs: a 1 GiB
 * message in 64 MiB pieces copies 960 MiB more and faults ~2 GiB of fresh pages, about twice the
 * time of the whole buffer (2026-12-05, load ~20), hence not always.
 *
 * An unfinished message must keep arriving: a piece at least every `stallMs`, or it is dropped
 * with the connection (its memory freed), the peer told which message stalled and how far it got.
 * Pings and pongs do not count: a peer that answers them but sends no piece holds the memory of
 * what it sent for as long as it likes otherwise.
 */

/** A chunked message being received. */
export interface Reassembly {
  /** Bytes the header announced. */
  readonly bytes: number;
  /** Bytes received so far. */
  filled: number;
  /** When the header or the latest piece arrived (ms). */
  heardAt: number;
}

/**
 * Most bytes that chunked headers may have allocated and not yet received, in one process: twice
 * the default message budget, so two 1 GiB messages arrive at once without a copy.
 */
export const HEADER_CLAIM_BUDGET_BYTES = 2 * 1024 ** 3;

/** Whether a header of `bytes` gets its whole buffer now, with `unbacked` bytes claimed and not yet received. */
export function claimsWhole(bytes: number, unbacked: number, budget = HEADER_CLAIM_BUDGET_BYTES): boolean {
  return unbacked + bytes <= budget;
}

/** Default {@link stallReason} limit: a 64 MiB piece must come at ≥ ~1.1 MiB/s. */
export const DEFAULT_PIECE_STALL_MS = 60_000;

/** Why a `chunked` header is refused (close code and reason), or null to start receiving it. */
export function headerRefusal(bytes: unknown, limit: number): { tooLarge: boolean; reason: string } | null {
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) {
    return { tooLarge: false, reason: `"chunked" needs "bytes": a positive integer, got ${JSON.stringify(bytes) ?? typeof bytes}` };
  }
  if (bytes > limit) return { tooLarge: true, reason: `message of ${bytes} bytes exceeds the limit of ${limit} bytes` };
  return null;
}

/** Why a piece of `length` bytes does not belong to the message (it runs past its end), or null. */
export function overrun(r: Reassembly, length: number): string | null {
  const total = r.filled + length;
  return total > r.bytes ? `chunk overruns its message: ${total} bytes of a ${r.bytes}-byte message` : null;
}

/**
 * The capacity the buffer needs for the next `length` bytes: the current one while they fit,
 * else at least double it (so the grows of a message of n bytes copy less than 2n bytes in all,
 * however small its pieces: 960 MiB for 1 GiB in 64 MiB pieces) but never past the announced size.
 */
export function capacityFor(r: Reassembly, capacity: number, length: number): number {
  const need = r.filled + length;
  if (need <= capacity) return capacity;
  return Math.min(r.bytes, Math.max(need, 2 * capacity));
}

/**
 * Why the message is given up at `now` (no piece for longer than `stallMs`), naming it and how
 * far it got; null while pieces keep coming. `waitMs` is how long until it would be.
 */
export function stallReason(r: Reassembly, now: number, stallMs: number): { reason: string } | { waitMs: number } {
  const silent = now - r.heardAt;
  if (silent < stallMs) return { waitMs: stallMs - silent };
  return { reason: `chunked message of ${r.bytes} bytes stalled: ${r.filled} came, then nothing for ${silent} ms (limit ${stallMs} ms)` };
}
