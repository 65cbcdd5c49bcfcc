import t from 'tap';
import { countOf } from '@gluon/protocol';

t.test('countOf: the noun agrees with the count', async (t) => {
  t.equal(countOf(1, 'file'), '1 file');
  t.equal(countOf(0, 'file'), '0 files');
  t.equal(countOf(2, 'chunk'), '2 chunks');
  t.equal(countOf(1204, 'event'), '1,204 events');
  t.equal(countOf(1, 'entry', 'entries'), '1 entry');
  t.equal(countOf(3, 'entry', 'entries'), '3 entries');
});
