/**
 * `bash -n` over a generated job script, once when a cluster starts. A prologue line with an
 * unbalanced quote (`echo "hi`) made a script bash cannot parse: --print-job-script printed it and
 * every job failed at once (`unexpected EOF while looking for matching '"'`), job after job until
 * max_failed_jobs. Parsing it here costs one bash start, not one per job.
 */
import { spawnSync } from 'node:child_process';

/**
 * What `bash -n` says is wrong with `script` (its own message, trimmed), or undefined when it
 * parses, or when no bash can be run here: the jobs run bash on the nodes, and a machine that
 * submits them need not have it (the check is then skipped, as the script was before).
 */
export function bashSyntaxError(script: string): string | undefined {
  const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8', stdio: ['pipe', 'ignore', 'pipe'], timeout: 30_000 });
  if (r.error || r.status === null) return undefined;
  return r.status === 0 ? undefined : (r.stderr.trim() || `exit status ${r.status}`);
}

/**
 * Refuses a job script bash cannot parse, naming where the bad text came from: the shell lines the
 * user gave (`parts`, by their option's name, each parsed on its own so a line number is theirs),
 * else the script itself, `scriptName`. Throws a RangeError (a bad option, as the CLIs exit with
 * a usage error); returns when the script parses or no bash is here.
 */
export function checkScriptSyntax(script: string, scriptName: string, parts: ReadonlyArray<{ name: string; lines: readonly string[] | undefined }>): void {
  const whole = bashSyntaxError(script);
  if (whole === undefined) return;
  for (const p of parts) {
    if (!p.lines?.length) continue;
    const own = bashSyntaxError(`${p.lines.join('\n')}\n`);
    if (own !== undefined) throw new RangeError(`${p.name} is not valid shell (the job script would fail as it starts; nothing was submitted): bash -n says: ${own} (line 1 is its first entry)`);
  }
  throw new RangeError(`${scriptName} is not valid shell (nothing was submitted): bash -n says: ${whole}`);
}
