import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The container files (Dockerfile, compose.yaml, k8s/) checked against the real packages and
 * CLIs: the image packs exactly the public packages, every command names a real bin and only
 * flags its --help lists, names, ports, images and the token Secret agree across files; then the
 * compose commands themselves run outside a container (scheduler, worker, the H→4ℓ client) and
 * the analysis finishes. No container engine runs in CI here: docs/deploy-containers.md says what
 * was built where.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (f: string) => readFileSync(join(repo, f), 'utf8');
const rootPkg = JSON.parse(read('package.json')) as { version: string; workspaces: string[] };
const image = `gluon:${rootPkg.version}`;

interface Pkg { name: string; dir: string; private?: boolean; bin?: Record<string, string> }
const packages: Pkg[] = rootPkg.workspaces.map((dir) => ({ ...(JSON.parse(read(`${dir}/package.json`)) as Pkg), dir }));
const publicPackages = packages.filter((p) => !p.private);
const binPath = new Map(packages.flatMap((p) => Object.entries(p.bin ?? {}).map(([b, f]) => [b, join(repo, p.dir, f)] as const)));

/** The flags a CLI's --help lists (for gluon-h4l: its `run` subcommand's). */
const helpCache = new Map<string, Set<string>>();
function flagsOf(argv: string[]): Set<string> {
  const key = argv[0] === 'gluon-h4l' ? `gluon-h4l ${argv[1]}` : argv[0]!;
  if (!helpCache.has(key)) {
    const file = binPath.get(argv[0]!);
    if (!file) throw new Error(`${argv[0]} is not the bin of any package`);
    const args = argv[0] === 'gluon-h4l' ? [argv[1]!, '--help'] : ['--help'];
    const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GLUON_TOKEN: undefined } }); // unset (empty is refused)
    helpCache.set(key, new Set([...`${r.stdout}${r.stderr}`.matchAll(/^\s+(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!)));
  }
  return helpCache.get(key)!;
}

/** Checks that `argv` starts with a real bin and uses only flags its --help lists. */
function checkCommand(t: Test, where: string, argv: string[]): void {
  t.ok(binPath.has(argv[0]!), `${where}: ${argv[0]} is a bin of a Gluon package`);
  const known = flagsOf(argv);
  for (const a of argv.filter((x) => x.startsWith('--'))) t.ok(known.has(a), `${where}: ${argv[0]} has ${a}`);
}

/** The words of a shell command line (quotes removed; enough for the commands in these files). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
/** A compose command as argv: `sh -c 'exec gluon-worker …'` → the words after exec. */
function argvOf(command: string[]): string[] {
  if (command[0] !== 'sh') return command;
  const words = shellWords(command[2]!);
  return words.slice(words.indexOf('exec') + 1);
}
const valueOf = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
const valuesOf = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));


t.test('Dockerfile: packs exactly the public packages, copies what exists, runs a real bin', async (t) => {
  const text = read('Dockerfile');
  const packed = [...text.matchAll(/-w (@gluon\/[\w-]+)/g)].map((m) => m[1]!).sort();
  t.same(packed, publicPackages.map((p) => p.name).sort(), 'npm pack -w … lists every public package and only those');
  for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1]!.split(/\s+/)) t.ok(existsSync(join(repo, src)), `COPY ${src} exists`);
  }
  const node = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(text);
  t.ok(node && Number(node[1]) >= 20, `the base image's node (${node?.[1]}) meets engines >=20`);
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(text)![1]!) as string[];
  checkCommand(t, 'Dockerfile CMD', cmd);
  const exposed = /^EXPOSE (.*)$/m.exec(text)![1]!.split(' ');
  t.same(exposed, [valueOf(cmd, '--port'), valueOf(cmd, '--dashboard-port')], 'EXPOSE names the scheduler and dashboard ports of CMD');
  t.match(text, /^USER node$/m, 'runs as an unprivileged user');
  const ignore = read('.dockerignore');
  for (const p of ['**/node_modules', '**/dist', '.git']) t.ok(ignore.split('\n').includes(p), `.dockerignore leaves out ${p}`);
});

const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, { image: string; command: string[]; ports?: string[]; environment?: Record<string, string>; depends_on?: Record<string, unknown> }> };

t.test('compose.yaml: one image, real commands and flags, the names and ports the workers dial exist', async (t) => {
  const s = compose.services;
  t.same(Object.keys(s).sort(), ['h4l', 'scheduler', 'worker']);
  for (const [name, svc] of Object.entries(s)) {
    t.equal(svc.image, image, `${name}: image ${image} (the root package's version)`);
    t.match(svc.environment?.GLUON_TOKEN, /^\$\{GLUON_TOKEN:\?/, `${name}: the token comes from GLUON_TOKEN, required`);
    checkCommand(t, `compose ${name}`, argvOf(svc.command));
  }
  const sched = argvOf(s.scheduler!.command);
  const port = valueOf(sched, '--port')!;
  const dash = valueOf(sched, '--dashboard-port')!;
  t.ok(s.scheduler!.ports!.includes(`127.0.0.1:${port}:${port}`) && s.scheduler!.ports!.includes(`127.0.0.1:${dash}:${dash}`), 'the scheduler and dashboard ports are published on this machine only');
  const allowed = valuesOf(sched, '--allowed-host');
  for (const [name, url] of [['worker', argvOf(s.worker!.command)[1]], ['h4l', valueOf(argvOf(s.h4l!.command), '--scheduler')]] as const) {
    const u = new URL(url!);
    t.ok(u.hostname in s, `${name} dials ${u.hostname}, a service`);
    t.ok(allowed.includes(u.hostname), `${name} dials ${u.hostname}, an --allowed-host of the scheduler`);
    t.equal(u.port, port, `${name} dials the scheduler's --port`);
  }
  t.same(Object.keys(s.worker!.depends_on ?? {}), ['scheduler']);
});

type K8s = { kind: string; metadata: { name: string }; spec?: any; stringData?: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const kust = parse(read('k8s/kustomization.yaml')) as { resources: string[] };
const docs: K8s[] = [...kust.resources, 'h4l-job.yaml'].flatMap((f) => parseAllDocuments(read(`k8s/${f}`)).map((d) => d.toJS() as K8s));

t.test('k8s/: Deployments, Service, Secret and Job agree with each other and with the CLIs', async (t) => {
  const get = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
  const schedDep = get('Deployment', 'gluon-scheduler')!;
  const svc = get('Service', 'gluon-scheduler')!;
  const workers = get('Deployment', 'gluon-worker')!;
  const job = get('Job', 'gluon-h4l')!;
  const secret = get('Secret', 'gluon-token')!;
  t.ok(schedDep && svc && workers && job && secret, 'scheduler Deployment + Service, worker Deployment, analysis Job, token Secret');
  const pods = [schedDep, workers, job].map((d) => d.spec.template.spec.containers[0]);
  for (const c of pods) {
    t.equal(c.image, image, `${c.name}: image ${image}`);
    const ref = c.env.find((e: { name: string }) => e.name === 'GLUON_TOKEN')?.valueFrom?.secretKeyRef;
    t.ok(ref && ref.name === secret.metadata.name && ref.key in secret.stringData!, `${c.name}: GLUON_TOKEN from the Secret's key`);
    checkCommand(t, `k8s ${c.name}`, c.command);
  }
  const [sc, wc, jc] = pods;
  // The Service selects the scheduler's pods and maps its ports to the ports the CLI listens on.
  const labels = schedDep.spec.template.metadata.labels;
  t.ok(Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v), 'the Service selects the scheduler pods');
  t.same(schedDep.spec.selector.matchLabels, labels, 'the Deployment selects its own pods');
  t.same(workers.spec.selector.matchLabels, workers.spec.template.metadata.labels);
  const cport = (name: string) => sc.ports.find((p: { name: string }) => p.name === name)?.containerPort;
  t.equal(String(cport('scheduler')), valueOf(sc.command, '--port'), 'containerPort scheduler = --port');
  t.equal(String(cport('dashboard')), valueOf(sc.command, '--dashboard-port'), 'containerPort dashboard = --dashboard-port');
  for (const p of svc.spec.ports) t.ok(cport(p.targetPort), `Service port ${p.name} targets a named container port`);
  for (const probe of ['readinessProbe', 'livenessProbe']) t.equal(sc[probe]?.tcpSocket?.port, 'scheduler', `the scheduler has a ${probe} on its port`);
  const allowed = valuesOf(sc.command, '--allowed-host');
  const servicePort = svc.spec.ports.find((p: { name: string }) => p.name === 'scheduler').port;
  for (const [name, url] of [['worker', wc.command[1]], ['h4l', valueOf(jc.command, '--scheduler')]]) {
    const u = new URL(url);
    t.equal(u.hostname, svc.metadata.name, `${name} dials the Service`);
    t.equal(Number(u.port), servicePort, `${name} dials its scheduler port`);
    t.ok(allowed.includes(u.hostname), `${name} dials an --allowed-host of the scheduler`);
  }
  t.equal(valueOf(wc.command, '--listen-host'), '$(POD_IP)', 'workers listen on their pod address');
  t.same(wc.env.find((e: { name: string }) => e.name === 'POD_IP')?.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
  t.ok(wc.resources?.requests?.cpu && wc.resources?.limits?.memory, 'workers have resources');
  for (const f of kust.resources) t.ok(existsSync(join(repo, 'k8s', f)), `kustomization resource ${f} exists`);
});

t.test('the compose commands run outside a container: scheduler, worker and the H→4ℓ client', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'gluon-compose-'));
  const procs: ChildProcess[] = [];
  t.teardown(() => { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); rmSync(work, { recursive: true, force: true }); });
  const env = { ...process.env, GLUON_TOKEN: 'compose-test-token-0123456789', PATH: `${join(repo, 'node_modules/.bin')}:${process.env.PATH}` };
  /** Starts argv (or `sh -c`), resolving with the first match of `re` in its output (bounded). */
  const start = (cmd: string[], re: RegExp, cwd = work) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')}: no ${re} within 120 s:\n${out}`)), 120_000);
      const look = (d: Buffer) => { out += d; const m = re.exec(out); if (m) { clearTimeout(timer); resolve(m); } };
      p.stdout.on('data', look);
      p.stderr.on('data', look);
      p.on('exit', (c) => { clearTimeout(timer); reject(new Error(`${cmd.join(' ')} exited ${c}:\n${out}`)); });
    });
  };
  // Only loopback here: the wildcard and the container address become 127.0.0.1, fixed ports 0.
  const sched = argvOf(compose.services.scheduler!.command).map((a, i, all) => (all[i - 1] === '--host' ? '127.0.0.1' : ['--port', '--dashboard-port'].includes(all[i - 1]!) ? '0' : a));
  const address = (await start(sched, /^scheduler at (ws:\/\/\S+)$/m))[1]!;
  const [sh, c, line] = compose.services.worker!.command;
  const worker = line!.replace(/\$\$/g, '$').replace('ws://scheduler:8786', address).replace('"$(hostname -i)"', '127.0.0.1');
  t.not(worker, line, 'the worker command, with the scheduler address of this run');
  // In the image workers start in /opt/gluon, where the packages are installed (their declared task
  // modules are allowed there); here that is the repository.
  await start([sh!, c!, worker], /^worker \S+ at ws:\/\/127\.0\.0\.1:\d+ connected/m, repo);
  const data = join(work, 'data');
  spawnSync(process.execPath, [binPath.get('gluon-h4l')!, 'generate', '--out', data, '--scale', '0.01', '--seed', '11'], { stdio: 'ignore', timeout: 300_000 });
  const h4l = argvOf(compose.services.h4l!.command).map((a, i, all) => (all[i - 1] === '--scheduler' ? address : all[i - 1] === '--data-dir' ? data : all[i - 1] === '--out' ? join(work, 'out') : a));
  const r = spawnSync(h4l[0]!, h4l.slice(1), { cwd: work, env, encoding: 'utf8', timeout: 600_000 });
  t.equal(r.status, 0, `${h4l.join(' ')} exited 0:\n${(r.stdout + r.stderr).slice(-2000)}`);
  t.ok(existsSync(join(work, 'out', 'histograms.json')), 'the analysis wrote its histograms through the compose worker');
});
