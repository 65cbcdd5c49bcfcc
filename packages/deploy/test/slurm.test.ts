import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { endWithoutClose, holdSlurm, repo, slurmMissing, sumThrough, within } from './helpers.js';

/**
 * SlurmCluster against a real Slurm: the one-node cluster of scripts/setup-slurm.sh (slurmctld +
 * slurmd on this host; this file holds a slice of 2 CPUs), which .ci/run starts. Skips, saying why, where there is none.
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster against a real Slurm: ${why}`, () => {});
} else {
  await holdSlurm();
  const squeueIds = () => execFileSync('squeue', ['--array', '-h', '-o', '%i'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  // Other Slurm test files run beside this one (tap runs two files at once): a run's jobs are
  // known by their name, not as whatever squeue lists that was not there before.
  const squeueIdsNamed = (name: string) => execFileSync('squeue', ['--array', '-h', '-n', name, '-o', '%i'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const common = { host: '127.0.0.1', cores: 1, memory: '1GiB', walltime: '00:15:00', cwd: repo, logDirectory: work, pollIntervalMs: 500 };
  // The analysis runs keep their scheduler's token in ~/.gluon/cluster-token (as gluon-cluster): this test's own.
  const runEnv = { ...process.env, HOME: work, GLUON_TOKEN: undefined };

  t.test('jobs start workers that join; a job killed by scancel mid-run is survived; scale(0) and close() leave no job', async (t) => {
    const cluster = await SlurmCluster.start(common);
    t.teardown(() => cluster.close());
    await cluster.scale(2);
    const ids = cluster.jobList.map((j) => j.id);
    t.equal(ids.length, 2, `two jobs submitted (${ids.join(', ')})`);
    t.ok(ids.every((id) => squeueIds().includes(id)), 'squeue lists them');
    await cluster.waitForWorkers(2, 180_000);
    t.equal(await sumThrough(cluster, 60, 20), (60 * 59) / 2, 'a workload ran on the Slurm workers');

    // scancel one job while tasks run on both: the work finishes on the other.
    const victim = ids[0]!;
    const sum = await sumThrough(cluster, 200, 25, async () => { execFileSync('scancel', [victim]); });
    t.equal(sum, (200 * 199) / 2, `every task finished although job ${victim} was cancelled mid-run`);
    for (let i = 0; i < 480 && squeueIds().includes(victim); i++) await new Promise((r) => setTimeout(r, 250));
    t.notOk(squeueIds().includes(victim), 'the cancelled job left squeue');
    for (let i = 0; i < 480 && cluster.jobList.filter((j) => !ids.includes(j.id)).length === 0; i++) await new Promise((r) => setTimeout(r, 250));
    const replacement = cluster.jobList.find((j) => !ids.includes(j.id));
    t.ok(replacement, `scale(2) still holds: job ${replacement?.id} replaces ${victim}`);
    await cluster.waitForWorkers(2, 180_000);

    const all = [...ids, ...cluster.jobList.map((j) => j.id)];
    await cluster.scale(0);
    t.same(cluster.jobList, [], 'scale(0) cancelled the rest');
    for (let i = 0; i < 480 && all.some((id) => squeueIds().includes(id)); i++) await new Promise((r) => setTimeout(r, 250));
    t.same(squeueIds().filter((id) => all.includes(id)), [], 'after scale(0) squeue lists none of its jobs');

    await cluster.scale(1);
    const last = cluster.jobList.map((j) => j.id);
    await cluster.close();
    t.same(squeueIds().filter((id) => last.includes(id)), [], 'after close() squeue lists none of its jobs');
    t.ok(existsSync(join(work, `gluon-worker-${victim}.out`)), 'jobs wrote their output to logDirectory');
  });

  t.test('a script stopped by Ctrl-C before close() scancels its jobs on the way out', async (t) => {
    // They stayed in squeue: pending, or running a worker that dialled the dead scheduler until the walltime.
    const end = await endWithoutClose('slurm', 'SIGINT');
    t.equal(end.ids.length, 2, `two jobs submitted (${end.ids.join(', ')})`);
    t.equal(end.signal, 'SIGINT', 'the script still ended by SIGINT');
    t.match(end.stderr, `slurm cluster: the process is ending without close(): scancel ${end.ids.join(' ')}: done`);
    for (let i = 0; i < 480 && end.ids.some((id) => squeueIds().includes(id)); i++) await new Promise((r) => setTimeout(r, 250));
    t.same(squeueIds().filter((id) => end.ids.includes(id)), [], 'squeue lists none of its jobs');
    // A job that started before its scancel wrote slurm-<id>.out where the test runs (the checkout).
    const strays = readdirSync('.').filter((f) => end.ids.some((id) => f.startsWith(`slurm-${id.split('_')[0]}`)));
    t.same(strays, [], 'its jobs wrote no output files into the directory the tests run from');
    rmSync(end.logDirectory, { recursive: true, force: true });
  });

  t.test('scale(3) is one sbatch: a job array whose tasks are the workers; scale(2) cancels a pending task first', async (t) => {
    const cluster = await SlurmCluster.start({ ...common, jobName: 'gluon-array' });
    t.teardown(() => cluster.close());
    await cluster.scale(3);
    const ids = cluster.jobList.map((j) => j.id);
    const array = /^(\d+)_0$/.exec(ids[0] ?? '')?.[1];
    t.same(ids, [`${array}_0`, `${array}_1`, `${array}_2`], `three tasks of one array job (${ids.join(', ')})`);
    const listed = () => execFileSync('squeue', ['--array', '-h', '-o', '%i %F %K %t', '-j', array!], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/));
    t.same(listed().map((l) => l[1]).filter((a) => a !== array), [], 'squeue lists every task under that one array job id');
    t.match(cluster.arrayScript(3), /^#SBATCH --array=0-2$/m, 'arrayScript(3) is what was submitted');
    // The file's slice of the node has 2 CPUs: two tasks run, their workers join and compute.
    await cluster.waitForWorkers(2, 240_000);
    t.equal(await sumThrough(cluster, 40, 20), (40 * 39) / 2, 'a workload ran on the array\'s workers');
    const names = await cluster.liveWorkerNames();
    t.ok(names.every((n) => new RegExp(`^gluon-array-${array}_[0-2]$`).test(n)), `workers are named after their task: ${names.join(', ')}`);

    // Refresh the states, then drop one: a task still pending goes before a running one.
    await cluster.scale(3);
    const pending = cluster.jobList.filter((j) => j.state === 'pending').map((j) => j.id);
    await cluster.scale(2);
    const kept = cluster.jobList.map((j) => j.id);
    t.equal(kept.length, 2, `two tasks kept (${kept.join(', ')})`);
    if (pending.length === 1) t.notOk(kept.includes(pending[0]!), `the pending task ${pending[0]} was the one cancelled`);
    for (let i = 0; i < 480 && listed().length > 2; i++) await new Promise((r) => setTimeout(r, 250));
    t.equal(listed().length, 2, 'squeue lists two tasks');
    await cluster.close();
    t.same(listed(), [], 'after close() squeue lists none of the array\'s tasks');
    t.ok(existsSync(join(work, `gluon-array-${array}_0.out`)), 'array tasks write <name>-<array>_<task>.out');
  });

  t.test('the H→4ℓ analysis runs on Slurm jobs: gluon-h4l run --cluster slurm --jobs 2', async (t) => {
    const h4l = join(repo, 'packages/analysis-h4l/bin/gluon-h4l.js');
    const data = join(work, 'data');
    execFileSync(process.execPath, [h4l, 'generate', '--out', data, '--scale', '0.02', '--seed', '7'], { stdio: 'ignore', timeout: 300_000 });
    const out = join(work, 'out');
    // The run's jobs are named h4l-<run name>: this process's own, or a job of that name from
    // another run on the same Slurm (another checkout's CI, a killed run's leftover) is taken for a replacement.
    const runName = `slurmtest-${process.pid}`;
    // gluon-cluster's --log-directory and --prologue, as the analysis takes them (job-keys.ts): it had neither.
    const run = spawn(process.execPath, [h4l, 'run', '--no-config', '--data-dir', data, '--cluster', 'slurm', '--jobs', '2', '--job-memory', '1GiB',
      '--job-walltime', '00:15:00', '--job-log-directory', 'job-logs', '--job-prologue', 'echo gluon-prologue-ran-$SLURM_JOB_ID',
      '--out', out, '--no-dashboard', '--run-name', runName], { cwd: work, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    run.stdout.on('data', (d) => (text += d));
    run.stderr.on('data', (d) => (text += d));
    const code = await new Promise<number | null>((r) => run.on('close', r));
    t.equal(code, 0, `gluon-h4l run exited 0:\n${text.slice(-2000)}`);
    const ids = /slurm: submitted 2 jobs \(([\d_]+), ([\d_]+)\)/.exec(text)?.slice(1) ?? [];
    t.equal(ids.length, 2, 'it submitted two Slurm jobs');
    t.match(text, /progress: (\d+)\/\1 chunks/, 'every chunk done');
    const hist = JSON.parse(readFileSync(join(out, 'histograms.json'), 'utf8')) as object;
    t.ok(Object.keys(hist).length > 0, 'histograms.json written');
    t.same(squeueIds().filter((id) => ids.includes(id)), [], 'the run cancelled its jobs: squeue lists none of those it submitted');
    t.same(squeueIdsNamed(`h4l-${runName}`), [], 'nor any other of its name (a replacement)');
    for (const id of ids) {
      const log = join(work, 'job-logs', `h4l-${runName}-${id}.out`);
      t.match(existsSync(log) ? readFileSync(log, 'utf8') : `(no ${log})`, /^gluon-prologue-ran-\d+$/m, `job ${id} ran the prologue and wrote its output into --job-log-directory`);
    }
  });

  t.test('the final-states analysis runs on Slurm jobs through the same launcher: gluon-finalstates --cluster slurm --jobs 2', async (t) => {
    const fs = join(repo, 'packages/analysis-finalstates/bin/gluon-finalstates.js');
    const data = join(work, 'fsdata');
    execFileSync(process.execPath, [fs, 'generate', '--out', data, '--scale', '0.02', '--seed', '5'], { stdio: 'ignore', timeout: 300_000 });
    // Its own run name, for the same reason as the H→4ℓ run's: its jobs are named fs-<run name>.
    const runName = `slurmfs-${process.pid}`;
    const run = spawn(process.execPath, [fs, '--data-dir', data, '--cluster', 'slurm', '--jobs', '2', '--job-memory', '1GiB', '--job-walltime', '00:15:00',
      '--chunk-size', '2000', '--base-output-dir', join(work, 'fsout'), '--run-name', runName, '--no-dashboard'], { cwd: work, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    run.stdout.on('data', (d) => (text += d));
    run.stderr.on('data', (d) => (text += d));
    const code = await new Promise<number | null>((r) => run.on('close', r));
    t.equal(code, 0, `gluon-finalstates exited 0:\n${text.slice(-2000)}`);
    const ids = /slurm: submitted 2 jobs \(([\d_]+), ([\d_]+)\)/.exec(text)?.slice(1) ?? [];
    t.equal(ids.length, 2, 'it submitted two Slurm jobs');
    t.match(text, /2 slurm jobs of 1 core\(s\) and a scheduler here/);
    const outDir = /^outputs: (\S+) /m.exec(text)?.[1];
    const run1 = JSON.parse(readFileSync(join(outDir!, 'run.json'), 'utf8')) as { mode: string; events: number };
    t.equal(run1.mode, 'scheduler', 'the chunks ran on the scheduler started for the jobs');
    // The same events in-process: the batch workers computed the same result.
    const serial = execFileSync(process.execPath, [fs, '--data-dir', data, '--n-workers', '0', '--base-output-dir', join(work, 'fsserial'), '--run-name', 'serial'], { encoding: 'utf8', cwd: work, timeout: 300_000 });
    const serialDir = /^outputs: (\S+) /m.exec(serial)![1]!;
    const sum = (dir: string) => JSON.parse(readFileSync(join(dir, 'histograms', 'finalstates.summary.json'), 'utf8')) as { finalStates?: unknown };
    t.ok(Object.keys(sum(serialDir).finalStates as object).length > 10, 'the in-process run found final states');
    t.same(sum(outDir!).finalStates, sum(serialDir).finalStates, 'events per final state equal the in-process run\'s');
    t.same(squeueIds().filter((id) => ids.includes(id)), [], 'the run cancelled its jobs: squeue lists none of those it submitted');
    t.same(squeueIdsNamed(`fs-${runName}`), [], 'nor any other of its name (a replacement)');
  });
  t.test('jobs whose worker never joins (no node binary on the node): each logged with its state and output file, then scale() gives up naming the last', async (t) => {
    const lines: string[] = [];
    const cluster = await SlurmCluster.start({ ...common, node: '/nonexistent/node', maxFailedJobs: 2, log: (l) => lines.push(l) });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    const err = await within(cluster.whenFailed(), 'the cluster giving up', 300_000);
    const ended = lines.filter((l) => l.includes('ended before its worker joined ('));
    t.equal(ended.length, 2, `each failed job logged once: ${ended.join(' | ')}`);
    const last = /job (\S+) ended/.exec(ended[1]!)![1]!;
    // bash's exit status for a command not found; Slurm keeps an ended job in scontrol for MinJobAge.
    t.match(ended[1]!, `slurm cluster: job ${last} ended before its worker joined (FAILED, exit code 127:0); read ${join(work, `gluon-worker-${last}.out`)}`);
    t.ok(existsSync(join(work, `gluon-worker-${last}.out`)), 'the file named is where the job wrote');
    t.match(readFileSync(join(work, `gluon-worker-${last}.out`), 'utf8'), /nonexistent\/node/, 'and it says what went wrong');
    t.match(err.message, `slurm cluster: 2 jobs in a row ended before their worker joined; not submitting more. The last, job ${last}, ended FAILED, exit code 127:0: read ${join(work, `gluon-worker-${last}.out`)}`);
    await t.rejects(cluster.scale(1), err, 'scale() fails with it');
    t.same(cluster.jobList, [], 'no job left');
    await cluster.close();
  });
}
