/**
 * What a socket error says, for a message. Node gives an empty message for a connect that tried
 * several addresses (a name with both an IPv6 and an IPv4 address, as `localhost` often has:
 * `AggregateError [ECONNREFUSED]` with message `""`); its errors say what each address met.
 */
export function socketErrorText(err: Error): string {
  if (err.message) return err.message;
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map((e: unknown) => (e instanceof Error ? socketErrorText(e) : String(e))).join('; ');
  }
  return (err as NodeJS.ErrnoException).code ?? err.name;
}

/**
 * The `code`s of a socket error (`ECONNREFUSED`, `ENOTFOUND`, …): its own, and for a connect that
 * tried several addresses each address's, in the order tried (the AggregateError's own code is
 * only its first address's).
 */
export function socketErrorCodes(err: unknown): string[] {
  const codes: string[] = [];
  const add = (e: unknown) => {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && !codes.includes(code)) codes.push(code);
  };
  add(err);
  if (err instanceof AggregateError) for (const e of err.errors) add(e);
  return codes;
}
