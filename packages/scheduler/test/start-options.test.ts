/**
 * Scheduler.start refuses an options key it does not have, naming it and the nearest it has:
 * `dashbordPort` was ignored and the dashboard took 8787 (or failed on it being taken),
 * `sessionGrace` (the flag's name) left the grace at 60 s. Nothing is started.
 */
import t from 'tap';
import { Scheduler, startScheduler, type SchedulerOptions } from '@gluon/scheduler';

/** What starting with `opts` came to: the error, or a scheduler that started (closed at once). */
async function outcome(start: (o: SchedulerOptions) => Promise<Scheduler>, opts: unknown): Promise<unknown> {
  return start(opts as SchedulerOptions).then(async (s) => { await s.close(); return 'started'; }, (e: unknown) => e);
}

t.test('an unknown option of Scheduler.start is refused, naming it and its near miss', async (t) => {
  const quiet = { port: 0, log: () => {} };
  t.match(await outcome(Scheduler.start, { ...quiet, dashbordPort: 0 }), {
    name: 'TypeError', message: /^Scheduler\.start: unknown option "dashbordPort" \(did you mean "dashboardPort"\?\); the options are host, port, /,
  });
  t.match(await outcome(startScheduler, { ...quiet, dashboard: false, sessionGrace: 5000 }), { message: /unknown option "sessionGrace" \(did you mean "sessionGraceMs"\?\)/ });
  t.match(await outcome(startScheduler, { ...quiet, dashboard: false, tls: { cet: 'x' } }), { message: /^Scheduler\.start: tls: unknown TLS option "cet" \(did you mean "cert"\?\)/ });
  const s = await startScheduler({ port: 0, dashboard: false, log: () => {} });
  t.teardown(() => s.close());
  t.match(s.address, /^ws:\/\//, 'the right keys still start it');
});
