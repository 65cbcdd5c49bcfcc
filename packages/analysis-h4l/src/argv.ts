/**
 * Command-line words before node's parseArgs sees them, shared by every analysis CLI
 * (gluon-h4l, gluon-finalstates).
 */

/**
 * `argv` with each negative number after a flag that takes a value joined to it (`--jobs -1` →
 * `--jobs=-1`), so the flag's own range check refuses it ("--jobs must be an integer ≥ 1, got
 * "-1"") instead of parseArgs saying only "argument is ambiguous". `options` is parseArgs'.
 */
export function joinNegativeValues(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const takesValue = a.startsWith('--') && Object.hasOwn(options, a.slice(2)) && options[a.slice(2)]!.type === 'string';
    if (takesValue && i + 1 < argv.length && /^-\d/.test(argv[i + 1]!)) out.push(`${a}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

/**
 * A usage error's message with where the flags are listed: `msg (gluon-h4l run --help lists the
 * options)`. `command` is what the user types before `--help` (`gluon-finalstates generate`).
 */
export function withHelpPointer(msg: string, command: string): string {
  return `${msg} (${command} --help lists the options)`;
}
