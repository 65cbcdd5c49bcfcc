/**
 * The names the Progress and Task stream charts write on their 150 px label axes (uPlot draws an
 * axis value on one line per '\n', and does not clip to the axis). A group or worker name with a
 * newline drew its second line over the next row's label; a long one ran off the canvas's left
 * edge, its start (what tells rows apart) cut away.
 */
import t from 'tap';
import { axisLabel, AXIS_LABEL_CHARS } from '../../assets/format.js';

t.test('one line: newlines, tabs and other control characters become one space', async (t) => {
  t.equal(axisLabel('fails "q"\nnewline'), 'fails "q" newline');
  t.equal(axisLabel('a\r\n\tb\u0000c\u0085d'), 'a b c d');
  t.equal(axisLabel('\nlead and trail\n'), 'lead and trail');
  t.notMatch(axisLabel('x\n'.repeat(40)), /[\n\r]/);
});

t.test('short names are kept as they are', async (t) => {
  for (const s of ['histogram', 'local-1 #0', 'w"odd\\nname-é #1', 'mergeHistograms', '']) t.equal(axisLabel(s), s);
});

t.test('a long name keeps its start and its end around an ellipsis, within the axis', async (t) => {
  const worker = 'gluon-worker-slurm-1234567-node042.cluster.example.org #3';
  const l = axisLabel(worker);
  t.equal([...l].length, AXIS_LABEL_CHARS, 'cut to the axis');
  t.match(l, /^gluon-work/, 'the start stays');
  t.match(l, /org #3$/, 'the thread number (the end) stays');
  t.match(l, /…/);
  t.equal(axisLabel('x'.repeat(AXIS_LABEL_CHARS)), 'x'.repeat(AXIS_LABEL_CHARS), 'exactly the limit is not cut');
  const emoji = axisLabel('🧪'.repeat(40));
  t.equal([...emoji].length, AXIS_LABEL_CHARS, 'counted in characters, not UTF-16 units');
  t.ok((emoji as unknown as { isWellFormed(): boolean }).isWellFormed(), 'no half of a surrogate pair');
});
