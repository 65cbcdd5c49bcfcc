/**
 * startWorker refuses an options key it does not have, naming it and the nearest it has
 * (`nthread` left the worker one thread per CPU), as a rejection, before connecting anywhere.
 */
import t from 'tap';
import { startWorker } from '@gluon/worker';

t.test('an unknown option of startWorker is refused, naming it and its near miss', async (t) => {
  // No scheduler listens at this address: the refusal comes before any attempt to reach one.
  const scheduler = 'ws://127.0.0.1:9';
  await t.rejects(startWorker({ scheduler, nthread: 2 } as never), {
    name: 'TypeError', message: /^startWorker: unknown option "nthread" \(did you mean "nthreads"\?\); the options are scheduler, nthreads, /,
  });
  await t.rejects(startWorker({ scheduler, lifetime: 60_000 } as never), { message: /unknown option "lifetime" \(did you mean "lifetimeMs"\?\)/ });
  await t.rejects(startWorker({ scheduler, tls: { ca: 'x', keys: 'y' } } as never), { message: /^startWorker: tls: unknown TLS option "keys" \(did you mean "key"\?\)/ });
});
