import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { submitRefusal } from '../../src/submit-refusals.js';
import { optionKey } from '../../src/job-cluster.js';
import { adaptTarget, bySubmittedIds, deathTimeoutArgs, defaultLifetime, lifetimeArgs, parseQstat, parseQstatFull, parseSqueue, PBSCluster, SlurmCluster, SSHCluster } from '@gluon/deploy';

/** What each launcher submits, from its options; parsing of the batch systems' listings; the adapt rule. */
const attach = { scheduler: 'ws://sched.example:8786', cwd: '/data/run', node: '/opt/node/bin/node' };

t.test('SlurmCluster.jobScript: every option becomes its #SBATCH directive, then the worker', async (t) => {
  const c = await SlurmCluster.start({ ...attach, cores: 4, memory: '8GiB', walltime: '02:00:00', queue: 'short', account: 'atlas',
    jobExtra: ['--qos=high', '--constraint=avx2'], prologue: ['module load nodejs/22'], logDirectory: '/scratch/logs', workerExtraArgs: ['--allow-module', '/data/run/tasks.js'] });
  const s = c.jobScript();
  const lines = s.split('\n');
  t.equal(lines[0], '#!/usr/bin/env bash');
  t.same(lines.filter((l) => l.startsWith('#SBATCH')), [
    '#SBATCH --job-name=gluon-worker', '#SBATCH --ntasks=1', '#SBATCH --cpus-per-task=4', '#SBATCH --mem=8192M',
    '#SBATCH --time=02:00:00', '#SBATCH --partition=short', '#SBATCH --account=atlas', '#SBATCH --output=/scratch/logs/%x-%j.out',
    '#SBATCH --qos=high', '#SBATCH --constraint=avx2',
  ]);
  t.ok(lines.includes('cd /data/run'));
  t.ok(lines.indexOf('module load nodejs/22') < lines.findIndex((l) => l.startsWith('exec ')), 'the prologue runs before the worker');
  const exec = lines.find((l) => l.startsWith('exec '))!;
  t.match(exec, /^exec \/opt\/node\/bin\/node \S+\/bin\/gluon-worker\.js ws:\/\/sched\.example:8786 --nthreads 4 --name "gluon-worker-\$\{SLURM_JOB_ID\}" --memory-limit 8GiB --listen-host "\$\(hostname\)" --lifetime 110m --lifetime-stagger 5m --death-timeout 1m --allow-module \/data\/run\/tasks\.js$/);
  t.notMatch(s, /GLUON_TOKEN|token/i, 'no token in the script (it travels in the environment)');
  const array = c.arrayScript(4).split('\n');
  t.same(array.filter((l) => l.startsWith('#SBATCH')).slice(7, 9), ['#SBATCH --output=/scratch/logs/%x-%A_%a.out', '#SBATCH --array=0-3'], 'an array of 4, each task writing <name>-<array>_<task>.out');
  t.match(array.find((l) => l.startsWith('exec ')), /--name "gluon-worker-\$\{SLURM_ARRAY_JOB_ID\}_\$\{SLURM_ARRAY_TASK_ID\}"/, 'a task\'s worker is named as squeue --array lists the task');
  t.throws(() => c.arrayScript(1.5), /n must be an integer ≥ 1, got 1.5/);
  await c.close();
});

t.test('PBSCluster.jobScript and arrayScript: resources, walltime, queue, account, array', async (t) => {
  const c = await PBSCluster.start({ ...attach, cores: 2, memory: '3GB', walltime: '00:30:00', queue: 'long', account: 'proj', jobName: 'h4l', jobExtra: ['-l place=scatter'] });
  const s = c.jobScript();
  t.same(s.split('\n').filter((l) => l.startsWith('#PBS')), [
    '#PBS -N h4l', '#PBS -l select=1:ncpus=2:mem=2862mb', '#PBS -l walltime=00:30:00', '#PBS -q long', '#PBS -A proj', '#PBS -V', '#PBS -l place=scatter',
  ]);
  t.match(s, /--name "h4l-\$\{PBS_JOBID\}"/);
  const a = c.arrayScript(5).split('\n');
  t.equal(a[a.findIndex((l) => l === '#PBS -l place=scatter') + 1], '#PBS -J 1-5', 'the array directive follows the others');
  t.throws(() => c.arrayScript(0), /n must be an integer ≥ 1, got 0/);
  const torque = await PBSCluster.start({ ...attach, resourceSpec: 'nodes=1:ppn=4,mem=8gb' });
  t.match(torque.jobScript(), /^#PBS -l nodes=1:ppn=4,mem=8gb$/m, 'resourceSpec replaces the select statement');
  await c.close();
  await torque.close();
});

t.test('PBSCluster: a D-HH:MM:SS walltime (Slurm\'s form, accepted by the shared check) becomes hours PBS reads', async (t) => {
  // PBS Pro and Torque read walltime as [[HH:]MM:]SS; "1-02:00:00" is no walltime to them.
  const c = await PBSCluster.start({ ...attach, walltime: '1-02:30:00' });
  t.match(c.jobScript(), /^#PBS -l walltime=26:30:00$/m);
  const long = await PBSCluster.start({ ...attach, walltime: '7-00:00:05' });
  t.match(long.jobScript(), /^#PBS -l walltime=168:00:05$/m);
  const plain = await PBSCluster.start({ ...attach, walltime: '100:00:00' });
  t.match(plain.jobScript(), /^#PBS -l walltime=100:00:00$/m, 'HH:MM:SS is passed as given');
  await c.close();
  await long.close();
  await plain.close();
});

t.test('bad options are refused naming the option and the value', async (t) => {
  await t.rejects(SlurmCluster.start({ ...attach, cores: 0 }), /cores must be an integer from 1 to 1024, got 0/);
  await t.rejects(SlurmCluster.start({ ...attach, memory: 'lots' }), /memory must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
  await t.rejects(SlurmCluster.start({ ...attach, walltime: '2h' }), /walltime must look like HH:MM:SS \(or D-HH:MM:SS\), got "2h"/);
  await t.rejects(PBSCluster.start({ ...attach, jobName: 'a b' }), /jobName may hold letters, digits/);
  // sbatch only said "Invalid directive found in batch script: las", naming neither option nor value.
  await t.rejects(SlurmCluster.start({ ...attach, account: 'at las' }), { name: 'RangeError', message: 'account must be one word without spaces (a batch account or project), got "at las"' });
  await t.rejects(SlurmCluster.start({ ...attach, queue: 'debug\n#SBATCH --qos=high' }), { name: 'RangeError', message: 'queue must be one word without spaces (a queue or Slurm partition; several: a,b), got "debug\\n#SBATCH --qos=high"' });
  await t.rejects(PBSCluster.start({ ...attach, queue: '' }), /queue must be one word without spaces/);
  await t.rejects(SlurmCluster.start({ ...attach, absentNoticeMs: -1 }), { name: 'RangeError', message: 'absentNoticeMs must be a finite number of ms ≥ 0, got -1' });
  t.match((await SlurmCluster.start({ ...attach, queue: 'short,long', account: 'atlas-2026' })).jobScript(), '#SBATCH --partition=short,long\n#SBATCH --account=atlas-2026\n', 'a list of partitions and a plain account pass');
  const c = await SlurmCluster.start(attach);
  await t.rejects(c.scale(-1), /scale: n must be an integer ≥ 0, got -1/);
  t.throws(() => c.adapt({ minimum: 3, maximum: 2 }), /maximum must be an integer ≥ minimum \(3\), got 2/);
  t.throws(() => c.adapt({ maximum: 2 }), /adapt reads the load from the scheduler's dashboard; give dashboardUrl/);
  await c.close();
});

t.test('options of the wrong type, or a line break where one line goes, are refused naming the option and the value', async (t) => {
  // Before: a string given for a list went in one character a line (`jobExtra: '--qos=high'` became
  // `#SBATCH -`, `#SBATCH -`, `#SBATCH q`, …; `prologue: 'module load nodejs'` the shell lines `m`,
  // `o`, …, each job failing with 127 far from the cause), a line break in a jobExtra entry or the
  // logDirectory put a line of its own into the script (`echo pwned` after `#SBATCH --qos=high`),
  // and `memory: 8` or `node: 5` threw "v.trim is not a function", "w.includes is not a function".
  const cases: [object, string][] = [
    [{ jobExtra: '--qos=high' }, 'jobExtra must be an array of strings, one line each (["--qos=high"]), got "--qos=high"'],
    [{ prologue: 'module load nodejs' }, 'prologue must be an array of strings, one line each (["module load nodejs"]), got "module load nodejs"'],
    [{ workerExtraArgs: '--allow-module ./x' }, 'workerExtraArgs must be an array of strings, one argument each (["--allow-module", "./tasks"]), got "--allow-module ./x"'],
    [{ jobExtra: ['--qos=high\necho pwned'] }, 'jobExtra[0] must be one line of text, not empty, got "--qos=high\\necho pwned"'],
    [{ jobExtra: ['--qos=high', ''] }, 'jobExtra[1] must be one line of text, not empty, got ""'],
    [{ prologue: [null] }, 'prologue[0] must be one line of text, not empty, got null'],
    [{ workerExtraArgs: ['--nthreads', 2] }, 'workerExtraArgs[1] must be a string, got 2'],
    [{ logDirectory: 'logs\n#SBATCH --qos=high' }, 'logDirectory must be one line of text, not empty, got "logs\\n#SBATCH --qos=high"'],
    [{ logDirectory: 5 }, 'logDirectory must be one line of text, not empty, got 5'],
    [{ memory: 8 }, 'memory must be a string, a size like 8GiB, got 8'],
    [{ node: 5 }, 'node must be a path (a string, not empty), got 5'],
    [{ cwd: '' }, 'cwd must be a path (a string, not empty), got ""'],
    [{ jobArrays: 'no' }, 'jobArrays must be true or false, got "no"'],
    [{ cores: '4' }, 'cores must be an integer from 1 to 1024, got "4"'],
  ];
  for (const [o, message] of cases) await t.rejects(SlurmCluster.start({ ...attach, ...o } as never), { name: 'RangeError', message }, JSON.stringify(o));
  await t.rejects(PBSCluster.start({ ...attach, jobExtra: '-l place=scatter' } as never), { name: 'RangeError', message: /^jobExtra must be an array of strings/ }, 'PBS too');
  await t.rejects(SSHCluster.start({ hosts: ['a', 'b'], prologue: 'source env.sh' } as never), { name: 'RangeError', message: /^prologue must be an array of strings/ }, 'ssh too');
});

t.test('a logDirectory with a space: quoted in its #SBATCH directive; refused for PBS, naming it', async (t) => {
  // Unquoted, sbatch took the words after the space for a directive of their own and said only
  // "Invalid directive found in batch script: logs/%x-%j.out" (gluon-cluster slurm --log-directory "my logs").
  const c = await SlurmCluster.start({ ...attach, logDirectory: '/scratch/my logs' });
  t.match(c.jobScript(), /^#SBATCH --output="\/scratch\/my logs\/%x-%j\.out"$/m, 'one job');
  t.match(c.arrayScript(2), /^#SBATCH --output="\/scratch\/my logs\/%x-%A_%a\.out"$/m, 'an array');
  t.match((await SlurmCluster.start({ ...attach, logDirectory: '/scratch/logs' })).jobScript(), /^#SBATCH --output=\/scratch\/logs\/%x-%j\.out$/m, 'no space: as before');
  await t.rejects(SlurmCluster.start({ ...attach, logDirectory: 'a"b' }), { name: 'RangeError', message: 'logDirectory must hold no double quote (an #SBATCH --output="…" value cannot), got "a\\"b"' });
  await t.rejects(PBSCluster.start({ ...attach, logDirectory: 'my logs' }), { name: 'RangeError', message: 'logDirectory must be a path without spaces or double quotes for PBS (a #PBS -o directive ends at a space), got "my logs"' });
  await t.rejects(PBSCluster.start({ ...attach, logDirectory: 'my logs', optionName: (k: string) => (k === 'logDirectory' ? '--log-directory' : k) }), { message: /^--log-directory must be a path without spaces/ }, 'named as its caller says');
  await c.close();
});

t.test('an --export that keeps GLUON_TOKEN from the jobs is refused when they need it, naming where it came from', async (t) => {
  // Before: submitted; each job ended at once (FAILED, exit code 2:0), its worker saying it would
  // listen without a token, until the cluster gave up after five (the real Slurm, 7 December 2026).
  const saved = { SBATCH_EXPORT: process.env.SBATCH_EXPORT, GLUON_TOKEN: process.env.GLUON_TOKEN };
  delete process.env.SBATCH_EXPORT;
  delete process.env.GLUON_TOKEN;
  t.teardown(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } });
  const withToken = { ...attach, token: 'a-token-of-24-characters' };
  const why = 'keeps GLUON_TOKEN from the jobs: the cluster\'s token reaches them only through sbatch\'s environment (it is never written into the script), so each worker would refuse to start without it and its job end at once; use --export=ALL (Slurm\'s default), or name it: --export=GLUON_TOKEN,…';
  await t.rejects(SlurmCluster.start({ ...withToken, jobExtra: ['--qos=high', '--export=NONE'] }), { name: 'RangeError', message: `jobExtra "--export=NONE" ${why}` });
  await t.rejects(SlurmCluster.start({ ...withToken, jobExtra: ['--export=PATH,HOME'] }), { message: `jobExtra "--export=PATH,HOME" ${why}` }, 'a list without it');
  await t.rejects(SlurmCluster.start({ ...withToken, jobExtra: ['--export=NIL'], optionName: (k: string) => (k === 'jobExtra' ? '--job-extra' : k) }), { message: `--job-extra "--export=NIL" ${why}` }, 'named as its caller says');
  for (const ok of ['--export=ALL', '--export=ALL,FOO=1', '--export=GLUON_TOKEN,PATH', '--export=PATH,GLUON_TOKEN=x']) {
    t.match((await SlurmCluster.start({ ...withToken, jobExtra: [ok] })).jobScript(), `#SBATCH ${ok}\n`, ok);
  }
  t.ok(await SlurmCluster.start({ ...attach, jobExtra: ['--export=NONE'] }), 'no token anywhere (attached, none given nor inherited): nothing to keep');
  process.env.SBATCH_EXPORT = 'NONE';
  await t.rejects(SlurmCluster.start({ ...withToken, jobExtra: ['--export=ALL'] }), { message: `SBATCH_EXPORT "NONE" ${why}` }, 'SBATCH_EXPORT wins over the directive');
  process.env.SBATCH_EXPORT = 'ALL';
  t.ok(await SlurmCluster.start({ ...withToken, jobExtra: ['--export=NONE'] }), 'and lets it through');
  t.ok(await PBSCluster.start({ ...withToken }), 'PBS: -V always (and no SBATCH_EXPORT)');
});

t.test('unknown option keys are refused naming the call, the key and its likely spelling', async (t) => {
  // Before: ignored, so the jobs went out without the memory (or queue) asked for.
  await t.rejects(SlurmCluster.start({ ...attach, memroy: '8GiB' } as never), {
    name: 'TypeError', message: /^SlurmCluster\.start: unknown option "memroy" \(did you mean "memory"\?\); the options are cores, memory, walltime, /,
  });
  await t.rejects(PBSCluster.start({ ...attach, resourcespec: 'nodes=1' } as never), {
    name: 'TypeError', message: /^PBSCluster\.start: unknown option "resourcespec" \(did you mean "resourceSpec"\?\); the options are .*, log, optionName, resourceSpec$/,
  });
  await t.rejects(SlurmCluster.start({ ...attach, resourceSpec: 'nodes=1' } as never), { name: 'TypeError', message: /^SlurmCluster\.start: unknown option "resourceSpec"/ }, 'a PBS-only option');
});

t.test('start() without the batch system on PATH fails naming the missing commands, before a scheduler starts', async (t) => {
  // Before: a scheduler started, and the first scale() failed on squeue/qstat.
  const empty = mkdtempSync(join(tmpdir(), 'no-batch-'));
  const path = process.env.PATH;
  process.env.PATH = empty;
  t.teardown(() => { process.env.PATH = path; rmSync(empty, { recursive: true, force: true }); });
  const children = () => readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim();
  const before = children();
  await t.rejects(SlurmCluster.start({ host: '127.0.0.1' }), { message: 'Slurm needs sbatch, squeue, scancel; sbatch, squeue, scancel are not installed or not on PATH (nothing was started)' });
  await t.rejects(PBSCluster.start({ host: '127.0.0.1' }), { message: 'PBS needs qsub, qstat, qdel; qsub, qstat, qdel are not installed or not on PATH (nothing was started)' });
  t.equal(children(), before, 'no scheduler process was started');
  // Attached to a running scheduler, start() starts nothing: jobScript() needs no batch system.
  const c = await SlurmCluster.start(attach);
  t.match(c.jobScript(), /^#SBATCH --job-name=gluon-worker$/m);
  await c.close();
});

t.test('a submission refused for one of the options names it and its value, as the caller names options', async (t) => {
  // sbatch's and qsub's words name neither (`sbatch: error: invalid partition specified: nosuch`).
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const sbatch = 'sbatch: error: invalid partition specified: nosuch\nsbatch: error: Batch job submission failed: Invalid partition name specified\n';
  t.equal(submitRefusal('slurm', sbatch, { queue: 'nosuch' }, flag), '--queue nosuch: Slurm has no such partition (sinfo lists them)');
  t.equal(submitRefusal('slurm', sbatch, { queue: 'nosuch' }, optionKey), 'queue nosuch: Slurm has no such partition (sinfo lists them)');
  t.equal(submitRefusal('pbs', 'qsub: Unknown queue\n', { queue: 'nosuch' }, flag), '--queue nosuch: PBS has no such queue (qstat -Q lists them)');
  t.equal(submitRefusal('pbs', 'qsub: submit error (Unknown queue MSG=requested queue not found)\n', { queue: 'x' }, flag), '--queue x: PBS has no such queue (qstat -Q lists them)', 'Torque\'s words');
  t.equal(submitRefusal('slurm', 'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n', { account: 'atlas' }, flag),
    '--account atlas: Slurm refused the account, or the account with this partition (sacctmgr show associations user=$USER lists yours)');
  t.equal(submitRefusal('slurm', 'sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)\n', { walltime: '99:00:00' }, flag),
    '--walltime 99:00:00: above the partition\'s time limit (sinfo -o "%P %l" lists them)');
  t.equal(submitRefusal('slurm', 'sbatch: error: Batch job submission failed: Requested node configuration is not available\n', { cores: 64, memory: '1TiB' }, flag),
    '--cores 64, --memory 1TiB: no node of the partition has that many CPUs or that much memory (sinfo -o "%P %c %m" lists them)');
  t.equal(submitRefusal('slurm', 'sbatch: error: Batch job submission failed: Invalid qos specification\n', { jobExtra: ['--exclusive', '--qos=nosuch'] }, flag),
    '--job-extra "--qos=nosuch": no such QOS, or not one this account may use (sacctmgr show qos lists them)');
  t.equal(submitRefusal('slurm', 'sbatch: error: Invalid generic resource (gres) specification\n', { jobExtra: ['--gres=gpu:1'] }, flag),
    '--job-extra "--gres=gpu:1": no node has such a generic resource (sinfo -o "%P %G" lists them)');
  // A value the options did not set (a site's SBATCH_PARTITION, a default partition gone), or words not known: the command's own words only.
  t.equal(submitRefusal('slurm', sbatch, {}, flag), undefined);
  t.equal(submitRefusal('slurm', 'sbatch: error: Batch job submission failed: Invalid qos specification\n', { jobExtra: ['--exclusive'] }, flag), undefined);
  t.equal(submitRefusal('slurm', 'sbatch: error: Slurm controller not responding\n', { queue: 'short' }, flag), undefined);
});

t.test('squeue and qstat listings', async (t) => {
  t.same([...parseSqueue('  101 R None\n102 PD Resources\n103 CG None\n\n104 CF None\n105 PD ReqNodeNotAvail, UnavailableNodes:n1\n')], [['101', { state: 'running' }], ['102', { state: 'pending', reason: 'Resources' }], ['103', { state: 'running', completing: true }], ['104', { state: 'pending' }], ['105', { state: 'pending', reason: 'ReqNodeNotAvail, UnavailableNodes:n1' }]]);
  const qstat = [
    'pbs.example:',
    '                                                            Req\'d  Req\'d   Elap',
    'Job ID          Username Queue    Jobname    SessID NDS TSK Memory Time  S Time',
    '--------------- -------- -------- ---------- ------ --- --- ------ ----- - -----',
    '12.pbs          ana      batch    gluon-work  4242   1   1    --  00:10 R 00:01',
    '13.pbs          ana      batch    gluon-work    --   1   1    --  00:10 Q   --',
    '14[].pbs        ana      batch    gluon-work    --   1   1    --  00:10 B   --',
    '15.pbs          ana      batch    gluon-work    --   1   1    --  00:10 F   --',
  ].join('\n');
  t.same([...parseQstat(qstat)], [['12.pbs', { state: 'running' }], ['13.pbs', { state: 'pending' }], ['14[].pbs', { state: 'running' }]]);
});

t.test('qstat -u cuts long job ids: bySubmittedIds names each listed job as qsub did', async (t) => {
  // OpenPBS (src/cmds/qstat.c: 15 characters, the last made *), as qstat -u prints it.
  const openpbs = [
    'pbs-server01:',
    '                                                            Req\'d  Req\'d   Elap',
    'Job ID          Username Queue    Jobname    SessID NDS TSK Memory Time  S Time',
    '--------------- -------- -------- ---------- ------ --- --- ------ ----- - -----',
    '5012345.pbs-se* ana      workq    gluon-work  31337   1   4    8gb 02:00 R 00:12',
    '5012346.pbs-se* ana      workq    gluon-work    --    1   4    8gb 02:00 Q   --',
    '5012399.pbs-se* ana      workq    other-job     --    1   1    1gb 01:00 Q   --',
  ].join('\n');
  t.same([...bySubmittedIds(parseQstat(openpbs), ['5012345.pbs-server01', '5012346.pbs-server01'])], [
    ['5012345.pbs-server01', { state: 'running' }], ['5012346.pbs-server01', { state: 'pending' }], ['5012399.pbs-se*', { state: 'pending' }],
  ], 'the cluster\'s jobs by their whole ids; the user\'s other job as listed');
  // Torque (src/cmds/qstat.c altdsp_statjob: %-23.22s, cut with no mark), qsub printing the server's full name.
  const torque = [
    '',
    'torque01.cluster.example.org:',
    '                                                                                  Req\'d       Req\'d       Elap',
    'Job ID                  Username    Queue    Jobname          SessID  NDS   TSK   Memory      Time    S   Time',
    '----------------------- ----------- -------- ---------------- ------ ----- ------ --------- --------- - ---------',
    '4807.torque01.cluster.  ana         batch    gluon-worker      21345     1      1       --   00:10:00 R  00:00:03',
    '4808.torque01.cluster.  ana         batch    gluon-worker        --      1      1       --   00:10:00 C        --',
  ].join('\n');
  t.same([...bySubmittedIds(parseQstat(torque), ['4807.torque01.cluster.example.org', '4808.torque01.cluster.example.org'])], [
    ['4807.torque01.cluster.example.org', { state: 'running' }],
  ], 'a completed (C) job is not listed');
  // Same number, another server's prefix: not the cluster's job.
  t.same([...bySubmittedIds(new Map([['12.other', { state: 'running' as const }]]), ['12.pbs01.example.org'])], [['12.other', { state: 'running' }]]);
});

t.test('qstat -f: each job\'s state and comment, a wrapped value joined again, an unknown job skipped', async (t) => {
  // PBS Pro's layout: 4-space attributes, long values continued on tab-indented lines.
  const full = [
    'Job Id: 13.pbs.example.org',
    '    Job_Name = gluon-worker',
    '    Job_Owner = ana@login1.example.org',
    '    job_state = Q',
    '    queue = workq',
    '    Resource_List.select = 1:ncpus=4:mem=8192mb:ngpus=1:gpu_type=A100:mpiprocs=',
    '\t4:ompthreads=1',
    '    comment = Not Running: Insufficient amount of resource: ncpus (R: 4 A: 0 T: 6',
    '\t4)',
    '    etime = Thu Dec  3 19:00:07 2026',
    '',
    'Job Id: 14[2].pbs.example.org',
    '    Job_Name = gluon-worker',
    '    job_state = H',
    '    comment = Job held by ana on Thu Dec  3 19:02:11 2026 ',
    '',
    'Job Id: 15.pbs.example.org',
    '    job_state = Q',
    '',
  ].join('\n');
  t.same([...parseQstatFull(`qstat: Unknown Job Id 12.pbs.example.org\n${full}`)], [
    ['13.pbs.example.org', { state: 'Q', comment: 'Not Running: Insufficient amount of resource: ncpus (R: 4 A: 0 T: 64)' }],
    ['14[2].pbs.example.org', { state: 'H', comment: 'Job held by ana on Thu Dec  3 19:02:11 2026' }],
    ['15.pbs.example.org', { state: 'Q' }],
  ]);
  t.same([...parseQstatFull('')], []);
});

t.test('adapt: one worker per `cores` outstanding tasks within [minimum, maximum]; down only after waitCount idle looks', async (t) => {
  const o = { minimum: 1, maximum: 10, waitCount: 3 };
  t.equal(adaptTarget({ outstanding: 0, workers: 0 }, 0, 2, o, 0), 1, 'the minimum');
  t.equal(adaptTarget({ outstanding: 7, workers: 1 }, 1, 2, o, 0), 4, 'ceil(7 / 2)');
  t.equal(adaptTarget({ outstanding: 1000, workers: 4 }, 4, 2, o, 0), 10, 'the maximum');
  t.equal(adaptTarget({ outstanding: 0, workers: 10 }, 10, 2, o, 2), 10, 'not yet: two idle looks');
  t.equal(adaptTarget({ outstanding: 0, workers: 10 }, 10, 2, o, 3), 1, 'after three');
});

t.test('a walltime gives the worker a lifetime a margin below it, shown in jobScript() and scriptFor(n); overridable, or none', async (t) => {
  // The rule: a twelfth of the walltime (2 to 10 minutes, at most half) below it, staggered by half that.
  t.same(defaultLifetime(3_600_000), { lifetimeMs: 55 * 60_000, staggerMs: 150_000 }, '1 hour: 55m ± 2.5m');
  t.same(defaultLifetime(2 * 3_600_000), { lifetimeMs: 110 * 60_000, staggerMs: 300_000 }, '2 hours: 110m ± 5m');
  t.same(defaultLifetime(24 * 3_600_000), { lifetimeMs: (24 * 60 - 10) * 60_000, staggerMs: 300_000 }, '1 day: at most 10 minutes below');
  t.same(defaultLifetime(600_000), { lifetimeMs: 8 * 60_000, staggerMs: 60_000 }, '10 minutes: at least 2 minutes below');
  t.same(defaultLifetime(120_000), { lifetimeMs: 60_000, staggerMs: 30_000 }, '2 minutes: at most half of it');
  for (const w of [60_000, 600_000, 3_600_000, 86_400_000]) {
    const d = defaultLifetime(w);
    t.ok(d.lifetimeMs + d.staggerMs < w, `${w} ms: the latest retirement starts before the walltime`);
  }
  const lifetimeOf = (script: string) => /^exec .*?(--lifetime \S+(?: --lifetime-stagger \S+)?)/m.exec(script)?.[1];
  const slurm = await SlurmCluster.start({ ...attach, walltime: '01:00:00' });
  t.equal(lifetimeOf(slurm.jobScript()), '--lifetime 55m --lifetime-stagger 150s');
  t.equal(lifetimeOf(slurm.scriptFor(3)), '--lifetime 55m --lifetime-stagger 150s', 'the array job of scale(3) too');
  const pbs = await PBSCluster.start({ ...attach, walltime: '1-00:00:00' });
  t.equal(lifetimeOf(pbs.jobScript()), '--lifetime 1430m --lifetime-stagger 5m', 'PBS likewise');
  const given = await SlurmCluster.start({ ...attach, walltime: '01:00:00', lifetime: '50m', lifetimeStagger: '4m' });
  t.equal(lifetimeOf(given.jobScript()), '--lifetime 50m --lifetime-stagger 4m', 'lifetime and lifetimeStagger override the default');
  const none = await SlurmCluster.start({ ...attach, walltime: '01:00:00', lifetime: false });
  t.notMatch(none.jobScript(), /--lifetime/, 'lifetime: false: none');
  const noWall = await SlurmCluster.start({ ...attach });
  t.notMatch(noWall.jobScript(), /--lifetime/, 'no walltime, no lifetime: none');
  const extra = await SlurmCluster.start({ ...attach, walltime: '01:00:00', workerExtraArgs: ['--lifetime', '30m'] });
  t.match(extra.jobScript(), /--listen-host "\$\(hostname\)" --death-timeout 1m --lifetime 30m$/m, 'a --lifetime in workerExtraArgs wins: no second one');
  t.same(lifetimeArgs({ lifetime: '20m' }), ['--lifetime', '20m'], 'without a walltime, as given, no stagger unless given');
  t.throws(() => lifetimeArgs({ walltime: '01:00:00', lifetime: '60m' }), /^lifetime 60m is not below walltime 01:00:00: the batch system would kill the worker before it retires$/);
  t.throws(() => lifetimeArgs({ walltime: '01:00:00', lifetime: '58m', lifetimeStagger: '3m' }), /^lifetime 58m \+ lifetimeStagger 3m is not below walltime 01:00:00/);
  // Some workers would retire as soon as they start (lifetime ± stagger, never below 0): accepted before.
  t.throws(() => lifetimeArgs({ lifetime: '20m', lifetimeStagger: '20m' }), /^lifetimeStagger 20m is not below lifetime 20m: each worker retires at the lifetime moved at random by up to the stagger either way, so some would retire as soon as they start$/);
  t.same(lifetimeArgs({ lifetime: '20m', lifetimeStagger: '19m' }), ['--lifetime', '20m', '--lifetime-stagger', '19m'], 'a stagger below the lifetime as given');
  t.throws(() => lifetimeArgs({ lifetime: 'soon' }), /lifetime must be a duration like 500ms, 30s, 2m or 8h, got "soon"/);
  t.throws(() => lifetimeArgs({ lifetimeStagger: '4m' }), /^lifetimeStagger varies the lifetime: give lifetime \(or walltime, from which it follows\)$/);
  t.throws(() => lifetimeArgs({ walltime: '01:00:00', lifetime: false, lifetimeStagger: '4m' }), /^lifetimeStagger varies the lifetime: it means nothing when lifetime turns the lifetime off$/);
  await t.rejects(SlurmCluster.start({ ...attach, walltime: '00:10:00', lifetime: '2h' }), /^lifetime 2h is not below walltime 00:10:00/, 'start() refuses it before anything is submitted');
  for (const c of [slurm, pbs, given, none, noWall, extra]) await c.close();
});

t.test('optionName: a launcher\'s messages name each option as its caller says (a CLI: the flag its user typed)', async (t) => {
  // gluon-cluster slurm --death-timeout nope said `deathTimeout must be …`, a key nobody typed.
  const asFlag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ deathTimeout: 'nope' }, /^--death-timeout must be a duration like 500ms, 30s, 2m or 8h, got "nope"$/],
    [{ lifetime: 'later' }, /^--lifetime must be a duration/],
    [{ walltime: '00:30:00', lifetime: '1h' }, /^--lifetime 1h is not below --walltime 00:30:00: /],
    [{ walltime: '01:00:00', lifetimeStagger: '40m' }, /^the lifetime 55m \(the default for that walltime\) \+ --lifetime-stagger 40m is not below --walltime 01:00:00: /],
    [{ lifetime: false, lifetimeStagger: '4m' }, /^--lifetime-stagger varies the lifetime: it means nothing when --lifetime turns the lifetime off$/],
    [{ queue: 'a b' }, /^--queue must be one word without spaces/],
    [{ jobName: 'a b' }, /^--job-name may hold letters/],
    [{ memory: 'lots' }, /^--memory must be a size/],
    [{ cores: 0 }, /^--cores must be an integer from 1 to 1024, got 0$/],
    [{ maxFailedJobs: 0 }, /^--max-failed-jobs must be an integer ≥ 1, got 0$/],
  ];
  for (const [o, re] of cases) await t.rejects(SlurmCluster.start({ ...attach, ...o, optionName: asFlag }), { name: 'RangeError', message: re }, JSON.stringify(o));
  await t.rejects(SSHCluster.start({ hosts: ['a'], optionName: asFlag }), { message: /^--hosts must list the scheduler's host/ }, 'the ssh options too');
  await t.rejects(SSHCluster.start({ hosts: ['a', 'b'], deathTimeout: 'x', optionName: asFlag }), { message: /^--death-timeout must be a duration/ });
});

t.test('the worker gets a --death-timeout (60s by default, dask-jobqueue\'s), so a job whose scheduler is gone ends instead of holding its slot until the walltime', async (t) => {
  const timeoutOf = (script: string) => /^exec .*?--death-timeout (\S+)/m.exec(script)?.[1];
  const slurm = await SlurmCluster.start({ ...attach });
  t.equal(timeoutOf(slurm.jobScript()), '1m', 'Slurm, by default');
  t.equal(timeoutOf(slurm.scriptFor(3)), '1m', 'the array job of scale(3) too');
  const pbs = await PBSCluster.start({ ...attach, walltime: '01:00:00' });
  t.equal(timeoutOf(pbs.jobScript()), '1m', 'PBS likewise');
  const given = await SlurmCluster.start({ ...attach, deathTimeout: '5m' });
  t.equal(timeoutOf(given.jobScript()), '5m', 'deathTimeout overrides the default');
  const none = await SlurmCluster.start({ ...attach, deathTimeout: false });
  t.notMatch(none.jobScript(), /--death-timeout/, 'deathTimeout: false: the worker waits for ever');
  const extra = await SlurmCluster.start({ ...attach, workerExtraArgs: ['--death-timeout=2m'] });
  t.equal(extra.jobScript().match(/--death-timeout/g)?.length, 1, 'one in workerExtraArgs wins: no second one');
  t.same(deathTimeoutArgs({ deathTimeout: '90s' }), ['--death-timeout', '90s']);
  t.throws(() => deathTimeoutArgs({ deathTimeout: 'never' }), /deathTimeout must be a duration like 500ms, 30s, 2m or 8h, got "never"/);
  t.throws(() => deathTimeoutArgs({ deathTimeout: '10ms' }), /deathTimeout must be at least 1s, got "10ms"/);
  await t.rejects(SlurmCluster.start({ ...attach, deathTimeout: 'soon' }), /deathTimeout must be a duration/, 'start() refuses a bad one before anything is submitted');
  for (const c of [slurm, pbs, given, none, extra]) await c.close();
});

t.test('the workers listen on their node\'s name unless the scheduler\'s host is a loopback address (protocol\'s isLoopbackHost)', async (t) => {
  for (const [host, listens] of [['127.0.0.1', false], ['localhost', false], ['::1', false], ['[::1]', false], ['127.lab.example', true], ['10.0.0.9', true]] as const) {
    const c = await SlurmCluster.start({ ...attach, host });
    t.equal(/--listen-host "\$\(hostname\)"/.test(c.jobScript()), listens, `--host ${host}: ${listens ? 'each worker listens on its node' : 'no --listen-host'}`);
    await c.close();
  }
});
