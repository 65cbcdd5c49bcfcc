import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile } from '@gluon/rootio';
import { describeBranch, type JsBranch } from '../../src/branch.js';

/**
 * Double32_t and Float16_t leaves (TLeafD32, TLeafF16) with a range `[low, high, nbits]`:
 * scikit-hep-testdata's uproot-double32-float16.root was filled (its generating macro) with the
 * 17 values below in every branch, each branch packing them in nbits bits over [-2.71, 10].
 * Each value read back must lie within half a quantization step of what was written.
 */
const path = fileURLToPath(new URL('../fixtures/skhep/uproot-double32-float16.root', import.meta.url));
const written = [-2, -1.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9];

t.test('Double32_t and Float16_t with a range read within half a step of the values written', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  const names = tree.branches.map((b) => b.name);
  t.equal(names.length, 12);
  const cols = await tree.arrays(names);
  for (const b of tree.branches) {
    const nbits = Number(/_(\d+)$/.exec(b.name)![1]);
    const step = 12.71 / (nbits < 32 ? 2 ** nbits : 0xffffffff);
    const col = cols[b.name]!;
    const values = (ArrayBuffer.isView(col) ? col : (col as { values: Float64Array | Float32Array }).values) as Float64Array | Float32Array;
    const per = b.kind === 'fixed-array' ? 3 : 1;
    t.ok(b.name.startsWith('float16') || b.name === 'array_10' ? values instanceof Float32Array : values instanceof Float64Array, `${b.name}: ${b.typeName} as ${values.constructor.name}`);
    t.equal(values.length, written.length * per, `${b.name}: every entry`);
    // At 30 and 32 bits the step (1e-8 and less) is near double rounding in ROOT's own packing
    // arithmetic: one step is allowed there.
    const tolerance = nbits >= 30 ? step : step / 2;
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - written[Math.floor(i / per)]!) - tolerance);
    t.ok(worst <= 1e-6 * step, `${b.name} (${nbits} bits): every value within ${nbits >= 30 ? 'a step' : 'half a step'} (${step.toPrecision(3)}) of the value written`);
  }
  // Coarse packings lose what they must: at 3 bits -2 reads as the range's low end.
  t.equal((cols.double32_3 as Float64Array)[0], -2.71);
});

const branch = (typename: string, title: string): JsBranch => ({
  _typename: 'TBranch', fName: 'x', fEntries: 1, fEntryOffsetLen: 0, fBranches: { arr: [] },
  fLeaves: { arr: [{ _typename: typename, fName: 'x', fTitle: title, fLen: 1, fIsUnsigned: false, fLeafCount: null }] },
});

t.test('the range in the leaf title, as ROOT reads it', async (t) => {
  const pi = describeBranch(branch('TLeafD32', 'x[0,2*pi,16]'));
  t.same(pi.packed, { low: 0, factor: 65536 / (2 * Math.PI) }, 'pi in a range');
  t.same(describeBranch(branch('TLeafD32', 'x[-1,1]')).packed, { low: -1, factor: 0xffffffff / 2 }, 'no nbits: 32');
  t.same(describeBranch(branch('TLeafD32', 'x[-1,1,40]')).packed, { low: -1, factor: 0xffffffff / 2 }, 'nbits out of 2-32: 32');
  t.same(describeBranch(branch('TLeafD32', 'x[3][-1,1,8]')).packed, { low: -1, factor: 128 }, 'a dimension before the range');
  t.equal(describeBranch(branch('TLeafD32', 'x')).packed, 'float', 'a Double32_t without a range is a float');
  t.equal(describeBranch(branch('TLeafD32', 'x[0,0,20]')).packed, 'float', 'an empty range with 15 bits or more: a float');
  t.same(describeBranch(branch('TLeafF16', 'x')).packed, { mantissaBits: 12 }, 'a Float16_t without a range: 12 mantissa bits');
  t.same(describeBranch(branch('TLeafF16', 'x[0,0,20]')).packed, { mantissaBits: 12 }, 'a Float16_t with an empty range of 15 bits or more: 12');
  t.same(describeBranch(branch('TLeafD32', 'x[0,0,6]')).packed, { mantissaBits: 6 }, 'an empty range with nbits below 15');
  const bad = describeBranch(branch('TLeafD32', 'x[low,1]'));
  t.equal(bad.kind, 'unsupported');
  t.match(bad.typeName, /Double32_t \(the range \[low,1\] has a bound that is not a number\)/, 'a range ROOT could not use is named');
});
