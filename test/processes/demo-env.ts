import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run demo` and `npm run demo:finalstates` read their dataset's scale and seed from the
 * environment. Set but empty was Number('') = 0: seed 0 silently generated (for minutes) another
 * dataset than the default's, scale 0 failed without naming the variable. Now each is refused
 * before anything is generated, naming the variable, as a bad value is.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const demos = {
  H4L_DEMO: join(repo, 'packages/analysis-h4l/dist/demo.js'),
  FINALSTATES_DEMO: join(repo, 'packages/analysis-finalstates/dist/demo.js'),
};

/** Runs a demo in an empty directory until it exits, or until it starts generating (killed: the defect). Bounded at 120 s. */
function run(file: string, env: Record<string, string>): Promise<{ code: number | 'generating'; out: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'gluon-demo-env-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let generating = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${file}: no exit within 120 s:\n${out}`)); }, 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!generating && /generating a synthetic dataset/.test(out)) { generating = true; child.kill('SIGKILL'); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code: generating ? 'generating' : code ?? -1, out, cwd }); });
  });
}

for (const [prefix, file] of Object.entries(demos)) {
  t.test(`${prefix}_SCALE / _SEED set but empty, or bad, are refused naming the variable; nothing is generated`, async (t) => {
    for (const [name, value, re] of [
      [`${prefix}_SEED`, '', new RegExp(`^demo: ${prefix}_SEED is set but empty; unset it for the default \\(1\\), or set it to a non-negative integer$`, 'm')],
      [`${prefix}_SCALE`, ' ', new RegExp(`^demo: ${prefix}_SCALE is set but empty; unset it for the default \\(0\\.2\\), or set it to a number from 0\\.01 to 100$`, 'm')],
      [`${prefix}_SCALE`, '0', new RegExp(`^demo: ${prefix}_SCALE must be a number from 0\\.01 to 100, got "0"$`, 'm')],
      [`${prefix}_SEED`, 'x', new RegExp(`^demo: ${prefix}_SEED must be a non-negative integer, got "x"$`, 'm')],
    ] as const) {
      const r = await run(file, { [name]: value });
      t.equal(r.code, 1, `${name}=${JSON.stringify(value)}: exit 1\n${r.out}`);
      t.match(r.out, re);
      t.notOk(existsSync(join(r.cwd, '.cache', 'synthetic-4lep')), `${name}=${JSON.stringify(value)}: no dataset directory`);
    }
  });
}
