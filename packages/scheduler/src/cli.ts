#!/usr/bin/env node
import {
  ALLOWED_FAILURES_FLAG, certMissesHost, certNotFromCa, flagGiven, checkExposure, envWithToken, exitStartFailure, exitUsage, StartFailure, flag, HEARTBEAT_TTL_FLAG, LIMIT_FLAGS, loadTlsFiles, TLS_FLAGS, TOKEN_FLAGS, unauthenticatedFlag, type TlsOptions, hideTokenFromPs, missingV8Flags, packageVersionOf, parseAllowedHosts, parseCliOrExit, parseV8Flags, resolveToken,
  sendBacklogFlag, stopWithSupervisor, superviseChildren, withoutTokenArgs, type CliSpec,
} from '@gluon/protocol/tools';
import { isIP } from 'node:net';
import { checkDashboardLink } from './dashboard/link.js';
import { trustedProxies } from './dashboard/client-address.js';
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from './v8-flags.js';

/** Every flag of gluon-scheduler: what it does, its default, how it is checked. */
export const SCHEDULER_FLAGS = {
  host: flag.string('address to listen on (0.0.0.0 for every interface)', { arg: 'HOST', default: '127.0.0.1' }),
  insecure: flag.switch('allow --host beyond loopback without a token (warns loudly)'),
  port: flag.port('port for clients and workers (0: any free port)', '8786'),
  'allowed-host': flag.list('also accept this Host/Origin name (beyond loopback and --host)', 'NAME'),
  'unix-socket': flag.string('also listen on this Unix socket, for clients and workers on this machine (ws+unix:PATH:/; not with TLS)', { arg: 'PATH' }),
  ...TOKEN_FLAGS,
  'dashboard-port': flag.port('port of the live dashboard (0: any free port)', '8787'),
  'no-dashboard': flag.switch('serve no dashboard'),
  'dashboard-session-ttl': flag.duration('a dashboard login lasts this long', 1000, 365 * 24 * 3600_000, '8h'),
  'dashboard-max-feeds': flag.int('live feeds of the dashboard (pages, performance reports) served at once; more are refused (503)', 1, 100_000, '64'),
  'dashboard-max-feeds-per-address': flag.int('live feeds of the dashboard served at once to one address (the browser\'s, behind a --dashboard-trusted-proxy); more from it are refused (503)', 1, 100_000, '16'),
  'dashboard-trusted-proxy': flag.list('a reverse proxy (IP address, or a range: 10.0.0.0/8, fd00::/8) whose X-Forwarded-For/Forwarded the dashboard\'s login throttle believes', 'ADDR'),
  'dashboard-prefix': flag.string('path prefix of the dashboard behind a reverse proxy', { arg: '/PATH', check: (t, f) => { if (!t.startsWith('/')) throw new RangeError(`${f} must start with /, got "${t}"`); } }),
  'dashboard-link': flag.string('the dashboard\'s public URL behind a proxy, reported to clients: a template with {host} {port} {prefix} and {ENV_VAR} fields', { arg: 'TEMPLATE', env: 'GLUON_DASHBOARD_LINK' }),
  ...HEARTBEAT_TTL_FLAG,
  'session-grace': flag.duration('a client whose connection was lost keeps its keys this long for its return (0: none)', 0, 24 * 3600_000, '60s'),
  'hello-timeout': flag.duration('a new connection silent this long (no upgrade, no hello) is dropped', 100, 3600_000, '10s'),
  ...unauthenticatedFlag('hello with the token, TLS handshake, dashboard login'),
  'holder-wait': flag.duration('after a restart, task assignment waits this long at most for the workers reconnecting clients knew of to re-register (what they hold is taken back, not recomputed)', 0, 24 * 3600_000, '15s'),
  'refusal-wait': flag.duration('tasks whose module every worker refuses wait this long at most while a refusal may lift (a missing --allow-module path, file or package), then fail', 0, 24 * 3600_000, '60s'),
  'memory-stall': flag.duration('tasks waiting this long with every worker paused for memory: say the cluster is stuck (log, dashboard, clients)', 100, 24 * 3600_000, '10s'),
  ...ALLOWED_FAILURES_FLAG,
  'max-topics': flag.int('published topics kept at most (publish on a new one beyond is refused, and the publisher told)', 1, 1_000_000, '1000'),
  'max-topic-bytes': flag.bytes('largest value one publish may keep', 1024, 4 * 1024 ** 3, '16MiB'),
  'max-published-bytes': flag.bytes('most bytes all published values may hold together', 1024, 64 * 1024 ** 3, '256MiB'),
  ...sendBacklogFlag('a worker or client'),
  ...LIMIT_FLAGS,
  ...TLS_FLAGS,
  'v8-flags': flag.string('V8 flags the scheduler runs with (a child is started when node lacks them)', { arg: 'FLAGS', default: SCHEDULER_V8_FLAGS.join(' '), check: (t, f) => { parseV8Flags(t, f); } }),
};

const CLI: CliSpec<typeof SCHEDULER_FLAGS> = {
  name: 'gluon-scheduler',
  version: packageVersionOf(import.meta.url),
  usage: '[options]',
  description: 'Runs a Gluon scheduler: clients submit task graphs to it, workers connect to it, and it\nserves the live dashboard. Prints "scheduler at ws://HOST:PORT" once it listens.',
  flags: SCHEDULER_FLAGS,
};

/**
 * The other names that reach a listener bound to `host`: localhost and the address it resolves to
 * (127.0.0.1, ::1). Another loopback address (127.0.0.2) is reached by itself alone, though the
 * Host check lets the loopback names pass: a certificate naming 127.0.0.1 let a scheduler on
 * 127.0.0.2 start, and every worker dialling it then stopped with 'wrong host name'.
 */
function loopbackNamesReaching(host: string): string[] {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return ['127.0.0.1', '::1'];
  return bare === '127.0.0.1' || bare === '::1' ? ['localhost'] : [];
}

/**
 * Workers and clients dial wss://<--host>:PORT (or an --allowed-host name; localhost when bound
 * where it resolves: nothing else passes the Host check) and refuse a certificate that does not
 * name what they dialled. One that names none of them started fine and then failed every worker
 * with 'wrong host name' (found by the across-hosts trial); refused here, naming the flags.
 */
function certNamesScheduler(file: string, cert: string | Buffer, host: string, port: number, allowed: readonly string[]): void {
  const names = [host, ...allowed, ...loopbackNamesReaching(host)];
  const misses = names.map((n) => certMissesHost(cert, n));
  if (misses.some((m) => m === null)) return;
  const bare = host.replace(/^\[|\]$/g, '');
  throw new StartFailure(`--tls-cert ${file} does not name --host ${host}${allowed.length ? ` or any --allowed-host (${allowed.join(', ')})` : ''} (${misses[0]}): `
    + `workers and clients dial wss://${host}:${port === 0 ? 'PORT' : port} and would refuse it ("wrong host name"); reissue it with ${isIP(bare) ? 'IP' : 'DNS'}:${bare} in its subjectAltName, or give the --host it names`);
}

/** The flags that only shape the dashboard. */
const DASHBOARD_ONLY = ['dashboard-port', 'dashboard-session-ttl', 'dashboard-max-feeds', 'dashboard-max-feeds-per-address', 'dashboard-trusted-proxy', 'dashboard-prefix', 'dashboard-link'];

/**
 * With --no-dashboard, a dashboard flag typed beside it was dropped unsaid (a proxy's link that
 * clients were then never told of): refused, naming it. $GLUON_DASHBOARD_LINK may be set for a
 * whole site, so from there it is only said to be unused.
 */
function dashboardFlagsWithout(linkSet: boolean): string | undefined {
  const typed = DASHBOARD_ONLY.filter((f) => flagGiven(f));
  if (typed.length) throw new Error(`--${typed[0]} does nothing with --no-dashboard (no dashboard is served): leave one of them out`);
  return linkSet ? 'gluon-scheduler: $GLUON_DASHBOARD_LINK is not used: --no-dashboard serves no dashboard, so clients are given no dashboard link' : undefined;
}

function main(): void {
  const { values } = parseCliOrExit(CLI);
  let token: string | undefined;
  let allowedHosts: string[];
  let tls: TlsOptions | undefined;
  let unusedLink: string | undefined;
  try {
    token = resolveToken(values, process.env, (l) => process.stderr.write(`gluon-scheduler: ${l}\n`));
    tls = loadTlsFiles({ cert: values['tls-cert'], key: values['tls-key'], ca: values['tls-ca'], requireClientCert: values['require-client-cert'] });
    if (tls && !tls.cert) throw new Error('--tls-ca alone does nothing on the scheduler: give --tls-cert and --tls-key to serve wss://');
    allowedHosts = parseAllowedHosts(values['allowed-host']);
    if (tls?.cert) certNamesScheduler(values['tls-cert']!, tls.cert, values.host, values.port, allowedHosts);
    if (values['unix-socket'] !== undefined && tls) throw new Error('--unix-socket with --tls-cert: a Unix socket does not speak TLS (it is for clients and workers on this machine); leave one of them out');
    if (values['no-dashboard']) unusedLink = dashboardFlagsWithout(values['dashboard-link'] !== undefined);
    // A bad entry stops the start naming it (exit 2), instead of the dashboard failing later.
    if (!values['no-dashboard']) trustedProxies(values['dashboard-trusted-proxy']);
    // Named as the user gave it: a site's $GLUON_DASHBOARD_LINK was reported as --dashboard-link.
    const linkName = flagGiven('dashboard-link') ? '--dashboard-link' : '$GLUON_DASHBOARD_LINK';
    if (values['dashboard-link'] !== undefined && !values['no-dashboard']) checkDashboardLink(values['dashboard-link'], values.host, values['dashboard-prefix'] ?? '', process.env, linkName);
    if (values['unix-socket'] === '') throw new Error('--unix-socket needs a path, got ""');
    // Else the dashboard's listen fails with a bare EADDRINUSE, as if another program held it.
    if (!values['no-dashboard'] && values.port !== 0 && values['dashboard-port'] === values.port) {
      throw new Error(`--dashboard-port ${values.port} is the scheduler's --port: give the dashboard another port (default 8787), or --no-dashboard`);
    }
  } catch (err) {
    // A file named by a flag that cannot be read or holds the wrong thing is not a usage error.
    if (err instanceof StartFailure) exitStartFailure(CLI.name, err.message);
    exitUsage(CLI.name, (err as Error).message);
  }
  const opts = {
    host: values.host,
    port: values.port,
    allowedHosts,
    dashboard: !values['no-dashboard'],
    dashboardPort: values['dashboard-port'],
    heartbeatTtlMs: values['heartbeat-ttl'],
    helloTimeoutMs: values['hello-timeout'],
    maxUnauthenticatedConnections: values['max-unauthenticated-connections'],
    memoryStallMs: values['memory-stall'],
    holderWaitMs: values['holder-wait'],
    refusalWaitMs: values['refusal-wait'],
    sessionGraceMs: values['session-grace'],
    dashboardSessionTtlMs: values['dashboard-session-ttl'],
    dashboardTrustedProxies: values['dashboard-trusted-proxy'],
    dashboardMaxFeeds: values['dashboard-max-feeds'],
    dashboardMaxFeedsPerAddress: values['dashboard-max-feeds-per-address'],
    allowedFailures: values['allowed-failures'],
    maxTopics: values['max-topics'],
    maxTopicBytes: values['max-topic-bytes'],
    maxPublishedBytes: values['max-published-bytes'],
    maxFrameBytes: values['max-frame-bytes'],
    maxMessageBytes: values['max-message-bytes'],
    maxSendBacklogBytes: values['max-send-backlog'],
    ...(token ? { token } : {}),
    ...(tls ? { tls } : {}),
    ...(values['unix-socket'] !== undefined ? { unixSocket: values['unix-socket'] } : {}),
    ...(values['dashboard-prefix'] ? { dashboardPrefix: values['dashboard-prefix'] } : {}),
    ...(values['dashboard-link'] !== undefined && !values['no-dashboard'] ? { dashboardLink: values['dashboard-link'] } : {}),
  };
  const exposure = checkExposure({ program: 'gluon-scheduler', flag: '--host', host: opts.host, token, insecure: values.insecure, mutualTls: tls?.requireClientCert === true });
  if (exposure.refuse) exitUsage(CLI.name, exposure.refuse);
  hideTokenFromPs();
  // V8 reads these at start-up only: without them, run as a child that has them.
  const missing = missingV8Flags(parseV8Flags(values['v8-flags']));
  if (missing.length) {
    // The token travels in the child's environment, never on its command line; so do the
    // malloc settings (SCHEDULER_ENV), read at start-up like V8's flags.
    superviseChildren(new URL(import.meta.url), [withoutTokenArgs(process.argv.slice(2))], missing, { env: withSchedulerEnv(envWithToken(token)), name: CLI.name, what: 'the scheduler' });
    return;
  }
  // Printed by the process that listens (a supervised child prints it, not its supervisor).
  if (exposure.warn) process.stderr.write(`${exposure.warn}\n`);
  const foreign = tls?.cert && tls.ca ? certNotFromCa(tls.cert, tls.ca) : null;
  if (foreign) {
    process.stderr.write(`gluon-scheduler: warning: --tls-cert ${values['tls-cert']} was not issued by the CA of --tls-ca ${values['tls-ca']} (${foreign}): `
      + 'workers and clients that trust that CA alone will refuse this scheduler ("unknown CA"); give a certificate the cluster\'s CA issued, or give them its CA too\n');
  }
  if (unusedLink) process.stderr.write(`${unusedLink}\n`);
  // Loaded only here, in the process that listens: --help, a usage error and a supervisor that
  // starts the child with the V8 flags load none of the scheduler (bench/cli-startup.ts).
  import('./server.js').then(({ startScheduler }) => startScheduler(opts)).then(
    (s) => {
      // The signal handlers go in before the address line: whoever reads it may send SIGTERM at
      // once, and one that came between the line and the handlers killed the process by the
      // signal (cli.test's SIGTERM case: exit 1 from the supervisor, 3 runs in 5 at load 45).
      let stopping = false;
      /** `line`: what the log says (`SIGTERM, shutting down`). */
      const stop = (line: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`scheduler: ${line}\n`);
        s.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGINT', () => stop('SIGINT, shutting down'));
      process.on('SIGTERM', () => stop('SIGTERM, shutting down'));
      // Run by a supervisor (see above): one killed with -9 must not leave us holding the port.
      // Said with what this process does about it.
      stopWithSupervisor((why) => stop(`${why}; shutting down: its workers and clients are told, and the port is let go`), CLI.name);
      // The address line comes last: whoever waits for it has seen everything else.
      // Behind a proxy, the link is what people open; where it is served follows, for tools
      // that read the dashboard directly (LocalCluster, the SSH cluster).
      if (s.dashboardLink) process.stdout.write(`dashboard at ${s.dashboardLink}\ndashboard served at ${s.dashboardUrl}\n`);
      else if (s.dashboardUrl) process.stdout.write(`dashboard at ${s.dashboardUrl}\n`);
      if (s.unixAddress) process.stdout.write(`scheduler also at ${s.unixAddress}\n`);
      process.stdout.write(`scheduler at ${s.address}\n`);
    },
    (err: NodeJS.ErrnoException) => {
      // --host that is not this machine's: a host problem, not a usage error (exit 1, as a port in
      // use): the same command line works on the machine that has the address, or here once an
      // interface has it. Named as typed; Node says only "listen EADDRNOTAVAIL: address not
      // available 10.9.9.9:8786". It exited 2 with the --help pointer, which cannot help.
      if (err.code === 'EADDRNOTAVAIL') exitStartFailure(CLI.name, `cannot start: --host ${opts.host} is not an address of this machine (EADDRNOTAVAIL): give one of its addresses, or 0.0.0.0 for all of them`);
      // Node says only "getaddrinfo ENOTFOUND schedhost", naming no flag. Exit 1 too: whether a
      // name resolves depends on this machine's resolver (a name known on the host it was meant
      // for, a DNS server down: EAI_AGAIN), not on the command line, and --help names no hosts.
      if (err.syscall === 'getaddrinfo') exitStartFailure(CLI.name, `cannot start: --host ${opts.host} is not a name this machine can resolve (${err.code}): give one of its addresses or host names, or 0.0.0.0 for all of them`);
      // The rest are not usage errors (exit 1, no --help pointer): the command line was fine, the
      // port, socket path or dashboard listener it names could not be had.
      if (err.code === 'EADDRINUSE') exitStartFailure(CLI.name, `cannot listen on ${opts.host}:${opts.port}: the port is in use (choose another with --port, or 0 for any free port)`);
      if (opts.unixSocket !== undefined && err.message.includes(opts.unixSocket)) exitStartFailure(CLI.name, `cannot start: --unix-socket: ${err.message}`);
      exitStartFailure(CLI.name, `cannot start: ${err.message}`);
    },
  );
}

main();
