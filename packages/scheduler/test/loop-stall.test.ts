/**
 * The scheduler stopped (SIGSTOP) for longer than its heartbeat TTL: its workers and clients drop
 * it after that TTL and come back once it runs again. Found by the freeze trial: its own log then
 * showed only every worker "lost: connection closed (4009: nothing heard from this side …)", read
 * as the workers failing, and the one line saying it had itself been stalled went to the
 * dashboard's event log alone, saying the stall was "not counted against its workers'
 * heartbeats" while every worker had just left. Now its log says it, and what followed.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { connect } from '@gluon/protocol';
import { stalledText } from '../src/loop-stall.js';
import { startCli, TOKEN } from './scheduler-proc.js';
import { until } from '../../../test/helpers/until.js';

t.test('the words: within the TTL nothing is lost; beyond it, everyone reconnected', async (t) => {
  t.equal(stalledText(3_100, 5_000), 'the scheduler was stalled for 3.1 s (the process stopped, or starved of CPU or memory); not counted against its workers\' heartbeats');
  t.match(stalledText(18_070, 5_000), /^the scheduler was stalled for 18\.1 s \(the process stopped, or starved of CPU or memory\), longer than the heartbeat TTL \(--heartbeat-ttl, 5\.0 s\): its workers and clients, which drop a scheduler they hear nothing from for as long, dropped their connections and reconnect/);
});

t.test('a scheduler stopped longer than its TTL says so in its log when it runs again', { skip: process.platform !== 'linux' ? 'needs /proc' : false }, async (t) => {
  // --v8-flags= : no child process, so the signals reach the scheduler itself.
  const proc = await startCli(t, ['--v8-flags=', '--heartbeat-ttl', '1s'], { GLUON_TOKEN: TOKEN });
  const pid = proc.child.pid!;
  // A client whose own limit is 3 s: its drop is the proof that the stop lasted that long.
  const { conn } = await connect(proc.address, { role: 'client', name: 'watcher' }, { token: TOKEN });
  t.teardown(() => conn.close());
  const dropped = new Promise<string>((resolve) => conn.on('close', (_code: number, reason: string) => resolve(String(reason))));
  conn.keepAlive(250, 3_000);
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } });
  await until(() => /^\d+ \([^)]*\) T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), 'the scheduler is stopped');
  t.match(await dropped, /nothing heard/, 'the client dropped the stopped scheduler after its 3 s');
  // Only what it says once it runs again: with a 1 s TTL it also notes stalls over 0.5 s that
  // load caused before the stop ('stalled for 0.8 s …; not counted against its workers'
  // heartbeats'), and the first such line was taken for this one. The stop outlasted the
  // client's 3 s, so the lines of before are all read by now.
  const before = proc.stderr().length;
  process.kill(pid, 'SIGCONT');
  await until(() => /was stalled for/.test(proc.stderr().slice(before)), 'the scheduler says it was stalled', 120_000);
  const line = /^.*was stalled for.*$/m.exec(proc.stderr().slice(before))![0];
  t.match(line, /scheduler: the scheduler was stalled for \d+\.\d s \(the process stopped, or starved of CPU or memory\), longer than the heartbeat TTL \(--heartbeat-ttl, 1\.0 s\): its workers and clients/, line);
});
