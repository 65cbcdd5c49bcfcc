/**
 * `--dashboard-link`: the dashboard's public URL behind a proxy (Dask's
 * `distributed.dashboard.link`), a template with `{host}`, `{port}`, `{prefix}` and `{ENV_VAR}`
 * fields, expanded by the scheduler and carried to clients in the welcome. Before it, nothing
 * could name the proxy's address: `client.dashboardUrl` and every printed URL were the address
 * the scheduler serves it at, which a browser behind the proxy cannot open.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { connect, PROTOCOL_VERSION } from '@gluon/protocol';
import { expandDashboardLink } from '../../src/dashboard/link.js';
import { startScheduler } from '../../src/server.js';
import { CLI } from '../scheduler-proc.js';

const fields = { host: '127.0.0.1', port: 8787, prefix: '/gluon' };

t.test('the fields, the environment and literal braces', async (t) => {
  t.equal(expandDashboardLink('https://gluon.example.org/{host}/{port}{prefix}/', fields, {}), 'https://gluon.example.org/127.0.0.1/8787/gluon/');
  t.equal(expandDashboardLink('https://hub.example.org{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/', fields, { JUPYTERHUB_SERVICE_PREFIX: '/user/ana/' }),
    'https://hub.example.org/user/ana/proxy/8787/', 'Dask\'s JupyterHub template, with the hub\'s origin in front');
  t.equal(expandDashboardLink('https://x.example/{host}/', fields, { host: 'from-env' }), 'https://x.example/127.0.0.1/', 'the three fields win over an environment variable of their name');
  t.equal(expandDashboardLink('https://x.example/?q={{port}}', fields, {}), 'https://x.example/?q={port}', '{{ and }} are literal braces');
  t.equal(expandDashboardLink('http://x.example/{host}/', { ...fields, host: '0.0.0.0' }, {}), `http://x.example/${hostname()}/`, 'a wildcard bind is this machine\'s name');
  t.equal(expandDashboardLink('http://x.example/{host}/', { ...fields, host: '::1' }, {}), 'http://x.example/[::1]/', 'an IPv6 address bracketed');
});

t.test('a malformed template or an unknown field is an error naming it', async (t) => {
  const bad = (template: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      expandDashboardLink(template, fields, env);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  t.equal(bad('https://x.example/{HUB_PREFIX_UNSET}/'), '--dashboard-link: unknown field {HUB_PREFIX_UNSET}: it is not {host}, {port} or {prefix}, and no environment variable HUB_PREFIX_UNSET is set in the scheduler\'s environment; in "https://x.example/{HUB_PREFIX_UNSET}/"');
  t.match(bad('https://x.example/{Port}/'), /unknown field \{Port\} \(did you mean \{port\}\? the fields are lower case\)/);
  t.match(bad('https://x.example/{port'), /the "\{" at character 19 is never closed \(write "\{\{" for a literal brace\)/);
  t.match(bad('https://x.example/port}'), /a "\}" at character 23 closes no field/);
  t.match(bad('https://x.example/{}/'), /"\{\}" names no field/);
  t.match(bad('https://x.example/{0}/'), /"\{0\}" is not a field name/);
  t.match(bad('{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/status', { JUPYTERHUB_SERVICE_PREFIX: '/user/ana/' }), /gives "\/user\/ana\/proxy\/8787\/status", which is not an absolute URL: give the scheme and host/);
  t.match(bad('ftp://x.example/'), /whose scheme is ftp: a browser opens the dashboard over http or https/);
  t.match(bad(' '), /--dashboard-link is empty/);
});

t.test('the scheduler fills in its port and tells clients the link in their welcome; a bad one fails the start', async (t) => {
  const s = await startScheduler({ port: 0, dashboardPort: 0, dashboardPrefix: '/gluon', dashboardLink: 'https://gluon.example.org/{host}/{port}{prefix}/' });
  t.teardown(() => s.close());
  const port = new URL(s.dashboardUrl!).port;
  t.equal(s.dashboardLink, `https://gluon.example.org/127.0.0.1/${port}/gluon/`, 'the port it got, not 0');
  const { conn, welcome } = await connect(s.address, { role: 'client' });
  t.teardown(() => conn.close());
  t.ok(PROTOCOL_VERSION >= 8, 'a protocol that has the welcome\'s dashboardLink');
  t.equal(welcome.dashboardLink, s.dashboardLink, 'the welcome carries the link');
  t.equal(welcome.dashboard, s.dashboardUrl, 'and still where it is served');
  await t.rejects(startScheduler({ port: 0, dashboardPort: 0, dashboardLink: 'https://x.example/{HUB_PREFIX_UNSET}/' }), /dashboardLink: unknown field \{HUB_PREFIX_UNSET\}/);
});

interface Run { out: () => string; kill: () => void; exited: Promise<number | null>; line: (re: RegExp) => Promise<RegExpExecArray> }

/** gluon-scheduler with `args`; `line` waits for its output to match (rejects once it exited without). */
function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--dashboard-port', '0', ...args], { env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const wake = () => { for (const w of [...waiters]) w(); };
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); wake(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); wake(); });
  const exited = new Promise<number | null>((r) => child.on('close', (c) => { r(c); wake(); }));
  const line = (re: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const look = () => {
      const m = re.exec(out);
      if (m) { waiters.delete(look); resolve(m); } else if (child.exitCode !== null) { waiters.delete(look); reject(new Error(`exited without ${re}: ${out}`)); }
    };
    waiters.add(look);
    look();
  });
  return { out: () => out, kill: () => { if (child.exitCode === null) child.kill('SIGTERM'); }, exited, line };
}

t.test('gluon-scheduler --dashboard-link (or $GLUON_DASHBOARD_LINK): prints the link, then where it is served; a bad one exits 2 before listening', async (t) => {
  const ok = run(['--dashboard-link', 'https://gluon.example.org{HUB_PREFIX}{port}/'], { HUB_PREFIX: '/user/ana/' });
  t.teardown(ok.kill);
  const [, served] = await ok.line(/^dashboard served at (http:\/\/127\.0\.0\.1:(\d+)\/)$/m);
  const port = new URL(served!).port;
  t.match(ok.out(), new RegExp(`^dashboard at https://gluon\\.example\\.org/user/ana/${port}/\\ndashboard served at ${served}\\n`, 'm'));
  await ok.line(/^scheduler at /m);

  const fromEnv = run([], { GLUON_DASHBOARD_LINK: 'https://gluon.example.org/{host}/' });
  t.teardown(fromEnv.kill);
  await fromEnv.line(/^scheduler at /m);
  t.match(fromEnv.out(), /^dashboard at https:\/\/gluon\.example\.org\/127\.0\.0\.1\/\ndashboard served at http:\/\/127\.0\.0\.1:\d+\/$/m);

  const bad = run(['--dashboard-link', 'https://gluon.example.org/{prot}/']);
  t.equal(await bad.exited, 2, 'a usage error');
  t.match(bad.out(), /gluon-scheduler: --dashboard-link: unknown field \{prot\}: it is not \{host\}, \{port\} or \{prefix\}/);
  t.notMatch(bad.out(), /scheduler at/, 'nothing listened');

  // From the environment it is named by the variable: it said --dashboard-link, which nobody typed.
  const badEnv = run([], { GLUON_DASHBOARD_LINK: 'https://gluon.example.org/{prot}/' });
  t.equal(await badEnv.exited, 2, 'a usage error');
  t.match(badEnv.out(), /^gluon-scheduler: \$GLUON_DASHBOARD_LINK: unknown field \{prot\}: it is not \{host\}, \{port\} or \{prefix\}/m);
  t.notMatch(badEnv.out(), /--dashboard-link/, 'no flag named');
});
