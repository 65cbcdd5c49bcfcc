/**
 * How long `generate` takes from a signal to its exit (packages/analysis-h4l/src/generate-interrupt.ts):
 * the real CLI spawned, the signal sent on its first progress line (the other files still to
 * come), the time to its exit (stdio closed) measured, for (a) gluon-h4l --threads 1 and SIGINT,
 * (b) gluon-h4l --threads 2 and SIGTERM, (c) gluon-finalstates (one thread) and SIGINT — each
 * against (0) the baseline measured in the same run: a node process that prints a line and dies
 * by the same SIGINT (the signal's delivery, the exit, the pipes closing). Until 5 December 2026,
 * (a) and (c) saw no signal until every file was written (minutes at scale 20).
 * Env: GEN_INT_REPS (default 5), GEN_INT_LOAD (busy-spinning processes run meanwhile, default 0:
 * a loaded machine). Writes bench/results/generate-interrupt.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envInt } from './env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const H4L = path.join(root, 'packages/analysis-h4l/dist/cli.js');
const FINALSTATES = path.join(root, 'packages/analysis-finalstates/dist/cli.js');
const REPS = envInt('GEN_INT_REPS', 5, 1, 1000);
const LOAD = envInt('GEN_INT_LOAD', 0, 0, 256);
const tmp = mkdtempSync(path.join(tmpdir(), 'gen-int-bench-'));

/** ms from `signal`, sent on the first line matching `re` on stdout, to the process's close; and its exit. */
function signalToExit(argv: string[], re: RegExp, signal: NodeJS.Signals): Promise<{ ms: number; exit: string }> {
  const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', sent = 0;
  p.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (!sent && re.test(out)) { sent = performance.now(); p.kill(signal); }
  });
  p.stderr.resume();
  return new Promise((resolve, reject) => p.on('close', (code, sig) => {
    if (!sent) reject(new Error(`${argv.join(' ')} ended (${code ?? sig}) before its first line:\n${out}`));
    else resolve({ ms: performance.now() - sent, exit: String(code ?? sig) });
  }));
}

const CASES: { name: string; signal: NodeJS.Signals; argv: (out: string) => string[]; re: RegExp; want: string }[] = [
  { name: '(0) baseline: node dying by SIGINT', signal: 'SIGINT', argv: () => ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], re: /ready/, want: 'SIGINT' },
  { name: '(a) gluon-h4l generate --threads 1 --scale 20, SIGINT', signal: 'SIGINT', argv: (o) => [H4L, 'generate', '--threads', '1', '--scale', '20', '--out', o], re: /\.4lep\.root: /, want: '130' },
  { name: '(b) gluon-h4l generate --threads 2 --scale 0.2, SIGTERM', signal: 'SIGTERM', argv: (o) => [H4L, 'generate', '--threads', '2', '--scale', '0.2', '--out', o], re: /\.4lep\.root: /, want: '143' },
  { name: '(c) gluon-finalstates generate --scale 20, SIGINT', signal: 'SIGINT', argv: (o) => [FINALSTATES, 'generate', '--scale', '20', '--out', o], re: /\.4lep\.root: /, want: '130' },
];

const spinners: ChildProcess[] = Array.from({ length: LOAD }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const results: Record<string, { medianMs: number; maxMs: number; ratio: number; exits: string[] }> = {};
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };
try {
  const load0 = loadavg()[0]!;
  const ms: Record<string, number[]> = {}, exits: Record<string, string[]> = {};
  // Interleaved, so that a change of load meanwhile falls on every case alike.
  for (let r = 0; r < REPS; r++) {
    for (const c of CASES) {
      const out = path.join(tmp, `${r}`);
      mkdirSync(out, { recursive: true });
      const got = await signalToExit(c.argv(out), c.re, c.signal);
      rmSync(out, { recursive: true, force: true });
      (ms[c.name] ??= []).push(got.ms);
      (exits[c.name] ??= []).push(got.exit);
    }
  }
  const base = median(ms[CASES[0]!.name]!);
  console.log(`signal → exit, ${REPS} runs each, ${LOAD} busy processes added, load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}:`);
  for (const c of CASES) {
    const m = median(ms[c.name]!), max = Math.max(...ms[c.name]!);
    results[c.name] = { medianMs: Math.round(m), maxMs: Math.round(max), ratio: +(m / base).toFixed(1), exits: exits[c.name]! };
    const bad = exits[c.name]!.filter((e) => e !== c.want);
    console.log(`  ${c.name}: median ${m.toFixed(0)} ms, max ${max.toFixed(0)} ms, ${(m / base).toFixed(1)}× the baseline; exit ${[...new Set(exits[c.name])].join('/')}${bad.length ? `  (expected ${c.want})` : ''}`);
  }
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/generate-interrupt.json'), JSON.stringify({ reps: REPS, load: LOAD, results }, null, 2) + '\n');
} finally {
  for (const s of spinners) s.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
