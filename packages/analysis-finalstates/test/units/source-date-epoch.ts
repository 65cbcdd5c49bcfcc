import t from 'tap';
import { sourceDateEpoch as h4lSourceDateEpoch } from '@gluon/analysis-h4l';
import { ConfigError } from '../../src/config.js';
import { sourceDateEpoch } from '../../src/outputs.js';

// One reading of SOURCE_DATE_EPOCH for both analyses (gluon-finalstates had its own copy); a bad
// value is a usage error of each CLI (its own ConfigError: exit 2), named with what was given.
t.test('SOURCE_DATE_EPOCH: whole seconds give the date; unset or empty give none; anything else is refused by name', async (t) => {
  for (const [read, errorOf] of [[sourceDateEpoch, ConfigError], [h4lSourceDateEpoch, undefined]] as const) {
    t.same(read({ SOURCE_DATE_EPOCH: '1700000000' }), new Date(1_700_000_000_000));
    t.equal(read({}), undefined);
    t.equal(read({ SOURCE_DATE_EPOCH: '' }), undefined);
    for (const bad of ['yesterday', '1.5', '-3', ' 12']) {
      const message = `SOURCE_DATE_EPOCH must be whole seconds since 1970, got ${JSON.stringify(bad)}`;
      t.throws(() => read({ SOURCE_DATE_EPOCH: bad }), { name: 'ConfigError', message });
      if (errorOf) t.throws(() => read({ SOURCE_DATE_EPOCH: bad }), errorOf, 'gluon-finalstates\' own ConfigError (its exit 2)');
    }
  }
});
