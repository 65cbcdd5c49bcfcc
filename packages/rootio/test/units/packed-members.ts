import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile } from '@gluon/rootio';

/**
 * Double32_t members of a split object, every packing ROOT has: scikit-hep-testdata's
 * uproot-demo-double32.root is ROOT's tutorial io/double32.C, a tree of 40,000 DemoDouble32 objects
 * whose members all hold the same value, uniform in [−π, π): fD64 as a double, fF32 as a float,
 * fI32…fI2 packed in n bits over [−π, π] (`//[-pi,pi,n]`), fR14…fR2 as floats cut to n bits of
 * mantissa (`//[0,0,n]`). So every member is checked against fD64, within its own precision.
 */
const path = fileURLToPath(new URL('../fixtures/skhep/uproot-demo-double32.root', import.meta.url));

t.test('split Double32_t members read within their packing precision of the full double', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('T');
  const members = tree.branches.filter((b) => b.name.startsWith('d/'));
  t.equal(members.length, 25, 'fD64, fF32, 16 range-packed and 7 truncated members');
  for (const b of members) t.equal(b.kind, 'scalar', `${b.name} is read (${b.typeName})`);
  const cols = await tree.arrays(members.map((b) => b.name)) as Record<string, Float64Array>;
  const ref = cols['d/fD64']!;
  t.equal(ref.length, 40_000);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const b of members) {
    const col = cols[b.name]!;
    t.ok(col instanceof Float64Array && col.length === ref.length, `${b.name}: a Float64Array of every entry`);
    const m = /^d\/f([FIR])(\d+)$/.exec(b.name);
    if (!m) continue;
    const bits = Number(m[2]);
    let bad = 0;
    let example = '';
    for (let i = 0; i < ref.length; i++) {
      const x = col[i]!;
      const r = ref[i]!;
      let ok: boolean;
      if (m[1] === 'F') {
        ok = x === Math.fround(r);
      } else if (m[1] === 'I') {
        // On the grid raw / factor − π, within half a step of the value written (ties do occur:
        // TRandom's values are multiples of 2^-32, so some land exactly between two steps).
        const factor = (bits < 32 ? 2 ** bits : 0xffffffff) / (2 * Math.PI);
        const raw = (x + Math.PI) * factor;
        ok = Math.abs(raw - Math.round(raw)) < 1e-6 && Math.abs(x - r) <= 0.5 / factor + 1e-15;
      } else {
        // A float whose mantissa keeps only `bits` bits, the nearest such float to the value.
        f32[0] = x;
        ok = f32[0] === x && (u32[0]! & ((1 << (23 - bits)) - 1)) === 0 && Math.abs(x - r) <= Math.abs(r) * 2 ** -(bits + 1) * (1 + 1e-9);
      }
      if (!ok && bad++ === 0) example = `entry ${i}: ${x} for ${r}`;
    }
    t.equal(bad, 0, `${b.name}: every entry within its ${bits}-bit precision${example ? ` (first miss ${example})` : ''}`);
  }
});
