import t from 'tap';
import { parseScontrolEnd } from '../../src/slurm.js';
import { parseQstatEnds } from '../../src/pbs.js';
import { NO_WALLTIME_KILLS, WALLTIME_KILL_FOLD_MS, walltimeKillNotice, type WalltimeKills } from '../../src/walltime-kills.js';

// Jobs killed at their walltime with their worker connected (walltime-kills.ts): said, where
// before nothing was, while a task longer than the walltime started again on every replacement.

t.test('the end states that are walltime kills: Slurm TIMEOUT, PBS Pro Exit_status -29', async (t) => {
  t.same(parseScontrolEnd('JobId=952 JobName=gB JobState=TIMEOUT Reason=TimeLimit Restarts=0 ExitCode=0:9 RunTime=00:01:05'),
    { state: 'TIMEOUT, exit code 0:9', cancelled: false, walltime: true });
  t.same(parseScontrolEnd('JobId=953 JobState=COMPLETED Reason=None ExitCode=0:0'), { state: 'COMPLETED, exit code 0:0', cancelled: false }, 'a job that ended by itself is none');
  t.same(parseScontrolEnd('JobId=954 JobState=CANCELLED Reason=None ExitCode=0:15'), { state: 'CANCELLED, exit code 0:15', cancelled: true });
  t.same(parseQstatEnds('Job Id: 12.server\n    job_state = F\n    substate = 93\n    Exit_status = -29\n').get('12.server'), { state: 'F, exit status -29', cancelled: false, walltime: true });
  t.same(parseQstatEnds('Job Id: 13.server\n    job_state = F\n    substate = 93\n    Exit_status = -27\n').get('13.server'), { state: 'F, exit status -27', cancelled: false }, 'over its memory (-27): not a walltime kill');
});

t.test('the first kill is said at once, naming the job, its state and the walltime', async (t) => {
  const s = { kind: 'slurm', walltime: '00:01:00', lifetime: true };
  const first = walltimeKillNotice(NO_WALLTIME_KILLS, { id: '952', state: 'TIMEOUT, exit code 0:9', retiring: false }, s, 1000);
  t.equal(first.line, 'slurm cluster: job 952 was killed at its walltime 00:01:00 (TIMEOUT, exit code 0:9) with its worker connected: the tasks it was running start '
    + 'again on another worker, so a task that takes longer than the walltime never finishes; raise the walltime if tasks run that long (said for the first job killed so; later '
    + 'ones are counted, at most one line every 10 min)');
  t.same(first.said, { count: 0, saidAt: 1000 });
  const retiring = walltimeKillNotice(NO_WALLTIME_KILLS, { id: '7', state: 'TIMEOUT, exit code 0:9', retiring: true }, s, 0);
  t.match(retiring.line, /job 7 was killed at its walltime 00:01:00 \(TIMEOUT, exit code 0:9\) with its worker connected \(its worker had begun to retire at the end of its lifetime, but was still finishing a task\): /);
  const none = walltimeKillNotice(NO_WALLTIME_KILLS, { id: '8', state: 'TIMEOUT, exit code 0:0', retiring: false }, { ...s, lifetime: false }, 0);
  t.match(none.line, /with its worker connected; the workers have no lifetime \(lifetime: false, --lifetime none\), so each job works until its walltime kills it: give them one below it, so that they retire first: the tasks/);
  const pbs = walltimeKillNotice(NO_WALLTIME_KILLS, { id: '12.server', state: 'F, exit status -29', retiring: false }, { kind: 'pbs', walltime: '02:00:00', lifetime: true }, 0);
  t.match(pbs.line, /^pbs cluster: job 12\.server was killed at its walltime 02:00:00 \(F, exit status -29\)/);
});

t.test('later kills are counted, and said as a count at most once every 10 min', async (t) => {
  const s = { kind: 'slurm', walltime: '00:01:00', lifetime: false };
  let said: WalltimeKills = walltimeKillNotice(NO_WALLTIME_KILLS, { id: '1', state: 'TIMEOUT', retiring: false }, s, 0).said;
  const lines: string[] = [];
  for (const [id, at] of [['2', 60_000], ['3', 120_000], ['4', WALLTIME_KILL_FOLD_MS - 1], ['5', WALLTIME_KILL_FOLD_MS], ['6', WALLTIME_KILL_FOLD_MS + 1000]] as const) {
    const n = walltimeKillNotice(said, { id, state: 'TIMEOUT, exit code 0:9', retiring: false }, s, at);
    said = n.said;
    if (n.line) lines.push(n.line);
  }
  t.same(lines, ['slurm cluster: 4 more job(s) killed at their walltime 00:01:00 with their worker connected since 10 min ago (the latest: 5, TIMEOUT, exit code 0:9); their running tasks started again elsewhere'],
    'one line for 2–5, at 10 min; 6 waits for the next');
  t.same(said, { count: 1, last: '6', saidAt: WALLTIME_KILL_FOLD_MS });
});
