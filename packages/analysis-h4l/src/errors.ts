/**
 * The reason of a failure in words, without the path or URL the caller already names: Node's
 * errno messages repeat the path (`ENOENT: no such file or directory, open '/x'`), and fetch
 * hides its cause behind "fetch failed".
 */

/** `no such file or directory (ENOENT)` for an errno error; the cause of a failed fetch; else the message. */
export function reasonOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { cause?: unknown };
  if (err && typeof err.code === 'string' && typeof err.syscall === 'string') {
    const text = /^[A-Z0-9_]+: ([^,]+),/.exec(err.message ?? '')?.[1];
    return text ? `${text} (${err.code})` : err.code;
  }
  if (err?.cause || err?.name === 'NoResponseError') return describeFetchError(e);
  return e instanceof Error ? e.message : String(e);
}

/** Why a request failed, in words: the cause undici hides behind "fetch failed". */
export function describeFetchError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string; hostname?: string } };
  if (err?.name === 'NoResponseError') return err.message!;
  const c = err?.cause;
  const code = c?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return `DNS lookup of ${c?.hostname ?? 'the host'} failed (${code})`;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): nothing listens there';
  if (code === 'ECONNRESET') return 'connection reset by the server (ECONNRESET)';
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `connecting timed out (${code})`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `host or network unreachable (${code})`;
  if (/SSL|TLS|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/i.test(code)) return `TLS failed: ${(c?.message ?? '').split('\n')[0]!.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '')} (${code})`;
  if (c?.message) return `${c.message}${code ? ` (${code})` : ''}`;
  return err?.message ?? String(e);
}
