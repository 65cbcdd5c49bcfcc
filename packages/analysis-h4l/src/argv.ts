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

/**
 * `msg`, parseArgs' refusal of an unknown flag, with what that flag stands for here when `meant`
 * names it: a flag of another command or of the other analysis CLI (gluon-h4l's --out given to
 * gluon-finalstates, whose run directory has other flags), which nearest() cannot reach by
 * spelling. `meant` maps the flag (no dashes) to the words naming this command's flag(s);
 * `command` is how the hint names this command (`run`, `gluon-finalstates`).
 */
export function withMeantFlag(msg: string, command: string, meant: Readonly<Record<string, string>>): string {
  const unknown = /^Unknown option '--([^'=]+)'/.exec(msg)?.[1];
  // Own keys only: `--constructor` found Object's and suggested "--function Object() { [native code] }".
  if (unknown === undefined || !Object.hasOwn(meant, unknown) || msg.includes('(did you mean')) return msg;
  return `${msg} (did you mean ${meant[unknown]}? ${command} has no --${unknown})`;
}
