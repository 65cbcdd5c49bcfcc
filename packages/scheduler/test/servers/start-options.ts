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

t.test('a numeric option of Scheduler.start that is not a number it takes is refused before anything listens, naming the option and the value as given', async (t) => {
  // They were taken as given: maxUnauthenticatedConnections '5' was refused as "got 5" (a number,
  // it read), without the call; port 'x' started a scheduler at ws://127.0.0.1:undefined;
  // heartbeatTtlMs 'x' and maxTopics -1 started one; helloTimeoutMs 'x' failed in Node naming its
  // own "requestTimeout" argument.
  const quiet = { port: 0, dashboard: false, log: () => {} };
  const cases: [string, unknown, string][] = [
    ['maxUnauthenticatedConnections', '5', 'a whole number from 1, got "5"'],
    ['maxUnauthenticatedConnections', 0, 'a whole number from 1, got 0'],
    ['maxTopics', -1, 'a whole number from 1, got -1'],
    ['allowedFailures', 1.5, 'a whole number from 1, got 1.5'],
    ['port', 'x', 'a port number from 0 to 65535, got "x"'],
    ['dashboardPort', 70000, 'a port number from 0 to 65535, got 70000'],
    ['heartbeatTtlMs', 'x', 'a number of milliseconds > 0, got "x"'],
    ['helloTimeoutMs', 0, 'a number of milliseconds > 0, got 0'],
    ['holderWaitMs', -1, 'a number of milliseconds ≥ 0, got -1'],
    ['sessionGraceMs', Infinity, 'a number of milliseconds ≥ 0, got Infinity'],
    ['maxTopicBytes', '16MiB', 'a whole number of bytes from 1, got "16MiB"'],
    ['maxSendBacklogBytes', null, 'a whole number of bytes from 1, got null'],
    ['dashboardMaxFeeds', '64', 'a whole number from 1, got "64"'],
  ];
  for (const [name, v, must] of cases) {
    const e = await outcome(startScheduler, { ...quiet, [name]: v }) as Error;
    t.equal(`${e.name}: ${e.message}`, `RangeError: Scheduler.start: ${name} must be ${must}`, `${name}: ${String(v)}`);
  }
  // What the CLI's flags would refuse for people is still taken in-process (a test's tiny topic).
  const s = await startScheduler({ ...quiet, maxTopicBytes: 16, memoryStallMs: 50, sessionGraceMs: 0, holderWaitMs: 0 });
  t.teardown(() => s.close());
  t.match(s.address, /^ws:\/\//, 'numbers it takes start it');
});
