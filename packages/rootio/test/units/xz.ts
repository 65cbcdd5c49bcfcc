import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { xzDecode } from '../../src/xz.js';

/** Our .xz/LZMA2 decoder against the reference `xz` tool, for every check type and level. */
let haveXz = true;
try {
  execFileSync('xz', ['--version']);
} catch {
  haveXz = false;
}

const samples: [string, Buffer][] = [
  ['text', Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(3000))],
  ['random', randomBytes(150_000)],
  ['mixed', Buffer.concat([randomBytes(4000), Buffer.alloc(90_000, 7), randomBytes(2000), Buffer.from('abcabcabd'.repeat(4000))])],
  ['floats', Buffer.from(new Float32Array(Array.from({ length: 40_000 }, (_, i) => Math.sin(i) * 1000)).buffer)],
];

if (!haveXz) {
  t.skip('the xz command is not installed', () => {});
} else {
  for (const check of ['none', 'crc32', 'crc64', 'sha256']) {
    t.test(`decodes what xz writes (check ${check})`, async (t) => {
      for (const [name, data] of samples) {
        for (const level of ['-0', '-6', '-9e']) {
          const packed = execFileSync('xz', ['-c', level, `--check=${check}`], { input: data });
          t.ok(Buffer.from(xzDecode(packed, data.length)).equals(data), `${name} ${level}`);
        }
      }
    });
  }

  t.test('damage and wrong sizes are errors, never wrong bytes', async (t) => {
    const data = samples[2]![1];
    const packed = execFileSync('xz', ['-c', '-6', '--check=crc32'], { input: data });
    t.throws(() => xzDecode(packed, data.length - 1), /past its declared|decodes/, 'one byte less declared');
    t.throws(() => xzDecode(packed, data.length + 1), /decodes to \d+ bytes, expected/, 'one byte more declared');
    t.throws(() => xzDecode(packed.subarray(0, packed.length - 30), data.length), Error, 'truncated');
    let caught = 0;
    for (let i = 12; i < packed.length; i += Math.max(1, Math.floor(packed.length / 200))) {
      const bad = Buffer.from(packed);
      bad[i] ^= 0x55;
      try {
        const out = xzDecode(bad, data.length);
        t.fail(`flipped byte ${i} decoded (${Buffer.from(out).equals(data) ? 'same' : 'different'} bytes)`);
      } catch {
        caught++;
      }
    }
    t.ok(caught > 100, `every flipped byte was caught (${caught})`);
  });
}
