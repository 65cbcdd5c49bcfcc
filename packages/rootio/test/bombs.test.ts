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
const inflatePoolJs = fileURLToPath(new URL('../dist/inflate-pool.js', import.meta.url));

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
    import { decompress } from ${JSON.stringify(decompressJs)};
    import { InflateJob } from ${JSON.stringify(inflatePoolJs)};
    import { readFileSync } from 'node:fs';
    const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const input = readFileSync(0);
    let before = hwm();
    let message = 'no error';
    try { decompress(input, ${CLAIM}, 'bomb.root', 100); } catch (e) { message = e.message; }
    let grew = hwm() - before;
    // The threaded path (decompressThreads > 1) must be bounded the same way: a decompression
    // thread meets the bomb first (the reader waits until the thread has finished with every
    // basket), then the reader's own attempt names the file and offset. The thread is started
    // (by a harmless job) before the peak is taken: its own start-up is not the bomb's doing.
    const run = async (payloads) => {
      const job = InflateJob.start('bomb.root', payloads, 2);
      await job.drained;
      let said = ' | no error (threads)';
      for (let k = 0; k < payloads.length; k++) {
        try { job.take(k) ?? payloads[k].decompress(); } catch (e) { said = ' | ' + e.message; }
        job.release(k);
      }
      job.close();
      return said;
    };
    const small = new Uint8Array([0x5a, 0x4c, 8, 3, 0, 0, 1, 0, 0, 0x03, 0x00, 0x00]);
    await run(Array.from({ length: 4 }, () => ({ bytes: small, expected: 1, decompress: () => new Uint8Array(1) })));
    before = hwm();
    message += await run(Array.from({ length: 4 }, () => ({ bytes: input, expected: ${CLAIM}, decompress: () => decompress(input, ${CLAIM}, 'bomb.root', 100) })));
    grew = Math.max(grew, hwm() - before);
    process.stdout.write(JSON.stringify({ message, grewMiB: grew }));`;
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
  t.skip('peak memory is read from /proc/self/status (Linux only)', () => {});
} else {
  for (const [name, make] of cases) {
    t.test(`a ${name} block claiming ${CLAIM} bytes that inflates to 256 MiB`, async (t) => {
      const payload = make();
      if (!payload) return t.skip(`the ${name} command-line compressor is not installed`, () => {});
      t.ok(payload.length < 16 << 20, `the bomb fits in one ROOT block (${payload.length} bytes)`);
      const { message, grewMiB } = runChild(payload);
      t.match(message, /^bomb\.root: .*\(at byte 100\) \| bomb\.root: .*\(at byte 100\)$/, `rejected by both paths, naming file and offset: ${message}`);
      t.ok(grewMiB < 32, `peak memory grew by ${grewMiB.toFixed(1)} MiB (the bomb is 256 MiB)`);
    });
  }
}
