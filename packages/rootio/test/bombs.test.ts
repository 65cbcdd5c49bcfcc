import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/**
 * Decompression bombs: a ROOT block whose header claims a few KiB but whose body inflates to
 * 256 MiB. Every codec must stop at the declared size, so the peak memory of a process that
 * meets one stays near its size before (measured as VmHWM in a fresh child process).
 */
const CLAIM = 4096;
const BOMB = 256 << 20;
const decompressJs = fileURLToPath(new URL('../dist/decompress.js', import.meta.url));

function header(alg: string, method: number, csize: number, usize: number): Uint8Array {
  const h = new Uint8Array(9);
  h[0] = alg.charCodeAt(0);
  h[1] = alg.charCodeAt(1);
  h[2] = method;
  for (let i = 0; i < 3; i++) {
    h[3 + i] = (csize >>> (8 * i)) & 0xff;
    h[6 + i] = (usize >>> (8 * i)) & 0xff;
  }
  return h;
}

function block(alg: string, method: number, body: Uint8Array): Uint8Array {
  return Buffer.concat([header(alg, method, body.length, CLAIM), body]);
}

/** Compresses BOMB zero bytes with a command-line tool, or null when the tool is absent. */
function viaTool(cmd: string, args: string[]): Uint8Array | null {
  try {
    return execFileSync(cmd, args, { input: Buffer.alloc(BOMB), maxBuffer: 64 << 20 });
  } catch {
    return null;
  }
}

/** Runs decompress() on `payload` in a child; returns its error message and peak RSS growth. */
function runChild(payload: Uint8Array): { message: string; grewMiB: number } {
  const script = `
    import { decompress, decompressAsync } from ${JSON.stringify(decompressJs)};
    import { readFileSync } from 'node:fs';
    const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const input = readFileSync(0);
    const before = hwm();
    let message = 'no error';
    try { decompress(input, ${CLAIM}, 'bomb.root', 100); } catch (e) { message = e.message; }
    // The thread-pool path (decompressThreads > 1) must be bounded the same way.
    try { await decompressAsync(input, ${CLAIM}, 'bomb.root', 100); message += ' | no error (async)'; } catch (e) { message += ' | ' + e.message; }
    process.stdout.write(JSON.stringify({ message, grewMiB: hwm() - before }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: payload, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { message: string; grewMiB: number };
}

const zeros = Buffer.alloc(BOMB);
const cases: [string, () => Uint8Array | null][] = [
  ['zlib', () => block('ZL', 8, deflateSync(zeros, { level: 9 }))],
  ['old ROOT zlib', () => block('CS', 8, deflateRawSync(zeros, { level: 9 }))],
  ['LZMA (xz)', () => { const x = viaTool('xz', ['-c', '-1']); return x && block('XZ', 0, x); }],
  ['ZSTD', () => { const x = viaTool('zstd', ['-c', '-3', '-q']); return x && block('ZS', 1, x); }],
];

if (process.platform !== 'linux') {
  t.skip('peak memory is read from /proc/self/status (Linux only)');
} else {
  for (const [name, make] of cases) {
    t.test(`a ${name} block claiming ${CLAIM} bytes that inflates to 256 MiB`, async (t) => {
      const payload = make();
      if (!payload) return t.skip(`the ${name} command-line compressor is not installed`);
      t.ok(payload.length < 16 << 20, `the bomb fits in one ROOT block (${payload.length} bytes)`);
      const { message, grewMiB } = runChild(payload);
      t.match(message, /^bomb\.root: .*\(at byte 100\) \| bomb\.root: .*\(at byte 100\)$/, `rejected by both paths, naming file and offset: ${message}`);
      t.ok(grewMiB < 32, `peak memory grew by ${grewMiB.toFixed(1)} MiB (the bomb is 256 MiB)`);
    });
  }
}
