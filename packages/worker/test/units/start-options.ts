/**
 * startWorker refuses an options key it does not have, naming it and the nearest it has
 * (`nthread` left the worker one thread per CPU), as a rejection, before connecting anywhere.
 */
import t from 'tap';
import { GluonWorker, startWorker } from '@gluon/worker';

t.test('an unknown option of startWorker is refused, naming it and its near miss', async (t) => {
  // No scheduler listens at this address: the refusal comes before any attempt to reach one.
  const scheduler = 'ws://127.0.0.1:9';
  await t.rejects(startWorker({ scheduler, nthread: 2 } as never), {
    name: 'TypeError', message: /^startWorker: unknown option "nthread" \(did you mean "nthreads"\?\); the options are scheduler, nthreads, /,
  });
  await t.rejects(startWorker({ scheduler, lifetime: 60_000 } as never), { message: /unknown option "lifetime" \(did you mean "lifetimeMs"\?\)/ });
  await t.rejects(startWorker({ scheduler, tls: { ca: 'x', keys: 'y' } } as never), { message: /^startWorker: tls: unknown TLS option "keys" \(did you mean "key"\?\)/ });
});

t.test('a numeric option of GluonWorker (and so startWorker) that is not a number it takes is refused before anything listens, naming the option and the value as given', async (t) => {
  // They were taken as given: each of these started a worker that listened and waited for its
  // scheduler.
  const scheduler = 'ws://127.0.0.1:9';
  const cases: [string, unknown, string][] = [
    ['nthreads', 'x', 'a whole number from 1, got "x"'],
    ['listenPort', 'x', 'a port number from 0 to 65535, got "x"'],
    ['peerTimeoutMs', 'x', 'a number of milliseconds > 0, got "x"'],
    ['maxFrameBytes', '1MiB', 'a whole number of bytes from 1, got "1MiB"'],
    ['maxSendBacklogBytes', -1, 'a whole number of bytes from 1, got -1'],
    ['maxUnauthenticatedConnections', '5', 'a whole number from 1, got "5"'],
    ['memoryLimit', -1, 'a number of bytes ≥ 0, got -1'],
    ['lifetimeMs', '1h', 'a number of milliseconds ≥ 0, got "1h"'],
  ];
  for (const [name, v, must] of cases) {
    // Made, not started: before, nothing refused them (startWorker then waited for the scheduler).
    let e = new Error('not refused');
    try { new GluonWorker({ scheduler, [name]: v } as never); } catch (err) { e = err as Error; }
    t.equal(`${e.name}: ${e.message}`, `RangeError: GluonWorker: ${name} must be ${must}`, `${name}: ${String(v)}`);
  }
});
