import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The benchmarks read their settings from the environment. Set but empty was Number('') = 0: a
 * run with 0 events or 0 seconds per phase, its results file written as if asked for. Now each is
 * refused before anything runs, naming the variable (exit 2), as the CLIs refuse theirs.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** One process (tsx as a loader, not its CLI that runs a second node), so a kill stops the benchmark itself. */
const tsx = ['--import', 'tsx'];

/** Runs a bench script until it exits; one that starts measuring instead (the defect) is killed. Bounded at 120 s. */
function run(script: string, env: Record<string, string>): Promise<{ code: number | string; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsx, join(repo, 'bench', script)], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', stdout = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${script}: no exit within 120 s:\n${out}`)); }, 120_000);
    // Anything on stdout is the benchmark at work: the refusal goes to stderr before it starts.
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); stdout += d.toString(); if (/\S/.test(stdout)) child.kill('SIGKILL'); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code: /\S/.test(stdout) ? `ran (${code ?? signal})` : code ?? signal ?? -1, out }); });
  });
}

for (const [script, name, value, message] of [
  ['generate.ts', 'GEN_BENCH_EVENTS', '', '$GEN_BENCH_EVENTS is set but empty; unset it for the default (200000), or give it a value'],
  ['cpu-ceiling.ts', 'CEILING_SECONDS', ' ', '$CEILING_SECONDS is set but holds only whitespace; unset it for the default (3), or give it a value'],
  ['finalstates.ts', 'FINALSTATES_BENCH_REPEATS', '', '$FINALSTATES_BENCH_REPEATS is set but empty; unset it for the default (3), or give it a value'],
  ['finalstates.ts', 'FINALSTATES_BENCH_SCALE', '0', '$FINALSTATES_BENCH_SCALE must be a number from 0.01 to 100, got "0"'],
  ['finalstates.ts', 'FINALSTATES_BENCH_DATA', '', '$FINALSTATES_BENCH_DATA is set but empty; unset it to leave it out, or give it a value'],
  ['h4l.ts', 'H4L_BENCH_WARMUPS', 'x', '$H4L_BENCH_WARMUPS must be an integer from 0 to 1000, got "x"'],
  ['cli-startup.ts', 'CLI_STARTUP_RUNS', '', '$CLI_STARTUP_RUNS is set but empty; unset it for the default (15), or give it a value'],
  ['cli-startup.ts', 'CLI_STARTUP_ONLY', 'gluon-x', '$CLI_STARTUP_ONLY names "gluon-x", not one of gluon-h4l, gluon-finalstates, gluon-cluster, gluon-scheduler, gluon-worker'],
] as const) {
  t.test(`bench/${script} with ${name}=${JSON.stringify(value)}: refused naming the variable, nothing run`, async (t) => {
    const r = await run(script, { [name]: value });
    t.equal(r.code, 2, `exit 2\n${r.out}`);
    t.equal(r.out, `${script}: ${message}\n`);
  });
}
