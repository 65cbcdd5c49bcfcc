import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { running } from '../../../test/helpers/process-tree.js';
import { fakePbs, until } from './helpers.js';

/**
 * The PBS stand-ins themselves (fixtures/pbs-bin), where what they do is not seen through a
 * cluster: a job whose process ended is listed no more, reaped or not.
 */
const { dir } = fakePbs(t);

t.test('a job whose process has ended but is not reaped yet (a zombie) is not listed, and qrun takes it as exited', { skip: process.platform === 'linux' ? false : 'reads Linux /proc' }, async (t) => {
  // A fake job's process is an orphan, reaped by PID 1: the test VMs' init does it every ~2 s, and
  // qstat (kill -0) listed every ended job R until then (pbs-ended-forgotten's 80 jobs took ~40 s).
  // Here its parent never reaps it (perl, Debian's essential perl-base: a shell reaps its jobs).
  const parent = spawn('perl', ['-e', '$| = 1; my $pid = fork() // die "fork: $!"; exit 0 unless $pid; print "$pid\n"; sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => { parent.kill('SIGKILL'); });
  const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  await until('the job\'s process ended', () => !running(pid));
  t.doesNotThrow(() => process.kill(pid, 0), 'kill -0 still finds it: a zombie');
  mkdirSync(join(dir, 'jobs'), { recursive: true });
  writeFileSync(join(dir, 'jobs', '7.fakepbs.pid'), `${pid}\n`);
  writeFileSync(join(dir, 'jobs', '7.fakepbs.sh'), '#!/usr/bin/env bash\nexit 0\n');
  const listing = execFileSync('qstat', ['-u', 'root'], { encoding: 'utf8' });
  t.notMatch(listing, /^7\.fakepbs /m, `qstat -u does not list it:\n${listing}`);
  const full = spawnSync('qstat', ['-f', '7.fakepbs'], { encoding: 'utf8' });
  t.match({ status: full.status, stderr: full.stderr }, { status: 153, stderr: 'qstat: Unknown Job Id 7.fakepbs' }, 'qstat -f: an unknown (ended) job');
  const rerun = spawnSync('qrerun', ['7.fakepbs'], { encoding: 'utf8' });
  t.match({ status: rerun.status, stderr: rerun.stderr }, { status: 1, stderr: 'qrerun: Request invalid for state of job 7.fakepbs' }, 'qrerun: not running');
  // Queued again (a rerun), qrun starts it: its old process has exited.
  writeFileSync(join(dir, 'jobs', '7.fakepbs.queued'), '');
  t.doesNotThrow(() => execFileSync('qrun', ['7.fakepbs'], { stdio: 'pipe' }), 'qrun does not take it for a job still exiting');
});

t.test('qsub gives every submission its own id when many run at once (pbs.test runs its cases together)', async (t) => {
  // pbs.test's concurrent cases submit through these stand-ins at the same moments: two qsubs that
  // read the sequence before either wrote it took one id, and the second's script replaced the first's.
  const n = 16;
  const submitted = await Promise.all(Array.from({ length: n }, (_, k) => new Promise<{ script: string; id: string }>((resolve, reject) => {
    const script = `#!/usr/bin/env bash\n# submission ${k}\nexit 0\n`;
    const qsub = spawn('qsub', [], { env: { ...process.env, FAKE_PBS_QUEUED: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    qsub.stdout!.on('data', (d) => (out += d));
    qsub.once('error', reject);
    qsub.once('close', (code) => (code === 0 ? resolve({ script, id: out.trim() }) : reject(new Error(`qsub ${k} exited ${code}`))));
    qsub.stdin!.end(script);
  })));
  const ids = submitted.map((s) => s.id);
  t.equal(new Set(ids).size, n, `${n} distinct ids: ${ids.join(' ')}`);
  for (const { script, id } of submitted) t.equal(readFileSync(join(dir, 'jobs', `${id}.sh`), 'utf8'), script, `jobs/${id}.sh is the script that got ${id}`);
});
