#!/usr/bin/env node
import {
  certMissesHost, certNotFromCa, checkExposure, staggerNotBelowText, CloseCode, isLoopbackHost, envWithToken, exitStartFailure, exitUsage, flag, LIMIT_FLAGS, MEMORY_LIMIT_FLAG, loadTlsFiles, TLS_FLAG_NAMES, TLS_FLAGS, TOKEN_FLAGS, unauthenticatedFlag, type TlsOptions, hideTokenFromPs, missingV8Flags, packageVersionOf, parseAllowedHosts, parseCliOrExit, parseV8Flags, resolveToken, tokenSource,
  sendBacklogFlag, stopWithSupervisor, superviseChildren, TOKEN_HELP_FLAGS, withoutTokenArgs, withTokenHelp, type CliSpec, StartFailure,
} from '@gluon/protocol/tools';
import type { GluonWorker, WorkerOptions } from './worker.js';
import { isIP } from 'node:net';
import { WORKER_V8_FLAGS } from './v8-flags.js';

/** Every flag of gluon-worker: what it does, its default, how it is checked. */
export const WORKER_FLAGS = {
  nthreads: flag.int('task threads per worker process', 1, 1024, '1'),
  nworkers: flag.int('worker processes to start (under one supervisor)', 1, 1024, '1', 'M'),
  name: flag.string('worker name on the dashboard (with --nworkers: NAME-0, NAME-1, ...)', { arg: 'NAME' }),
  ...MEMORY_LIMIT_FLAG,
  'allow-module': flag.list('also allow tasks from this module specifier or path', 'SPEC'),
  ...TOKEN_FLAGS,
  'listen-host': flag.string('address of the data listener that peers fetch results from', { arg: 'HOST', default: '127.0.0.1' }),
  insecure: flag.switch('allow --listen-host beyond loopback without a token (warns loudly)'),
  'allowed-host': flag.list('also accept this Host/Origin name on the data listener', 'NAME'),
  'peer-timeout': flag.duration("how long connecting to a peer for a dependency may take before it is fetched elsewhere or recomputed (default: the scheduler's heartbeat TTL + 2 heartbeats)", 100, 24 * 3600_000),
  lifetime: flag.duration('retire after this long, as on SIGTERM: finish running tasks, have the results held here copied to other workers, leave (set it below a batch job\'s walltime)', 1000, 365 * 24 * 3600_000),
  'death-timeout': flag.duration('give up after this long with no scheduler connected (at start, or after losing it): say so, close, exit 1 (default: wait for ever; Dask\'s --death-timeout)', 1000, 365 * 24 * 3600_000),
  'lifetime-stagger': flag.duration('vary --lifetime by up to this much either way, at random, so workers started together do not retire together', 0, 365 * 24 * 3600_000),
  ...sendBacklogFlag('a peer or client fetching results (or the scheduler)'),
  ...LIMIT_FLAGS,
  ...unauthenticatedFlag('hello with the token, TLS handshake'),
  ...TLS_FLAGS,
  'v8-flags': flag.string('V8 flags the worker runs with (a child is started when node lacks them)', { arg: 'FLAGS', default: WORKER_V8_FLAGS.join(' '), check: (t, f) => { parseV8Flags(t, f); } }),
};

const CLI: CliSpec<typeof WORKER_FLAGS> = {
  name: 'gluon-worker',
  version: packageVersionOf(import.meta.url),
  usage: 'ws://HOST:8786 [options]',
  description: 'Runs a Gluon worker that connects to the scheduler at ws://HOST:PORT, runs its tasks in\nworker threads and keeps their results in memory for other workers and clients.\n'
    + 'Exit status: 0 once stopped (SIGTERM, SIGINT, or the scheduler closed it); 2 a usage error\n(a flag or its value); 1 the scheduler refused this worker (token, TLS, protocol version, its\nhello; at start or after a restart), the address is not a Gluon scheduler, --death-timeout\npassed with no scheduler connected, or it cannot start here (a token or TLS file it cannot read\nor use, --listen-host not an address or a name of this machine).',
  flags: WORKER_FLAGS,
  positionals: { min: 1, max: 1, name: 'scheduler address (ws://host:port)' },
};

const fail = (msg: string): never => exitUsage(CLI.name, msg);

/**
 * Exit statuses: 2 a usage error (a flag or its value, pointing to --help); 1 a failure at run
 * time that no flag spelling fixes (a --token-file or TLS file that cannot be read or holds the
 * wrong thing; a --listen-host address this machine does not have, or a name it cannot resolve; the scheduler refused this worker: token, CA, version, its hello; not a scheduler
 * at all; a refusal after a restart).
 */
const EXIT_FAILED = 1;

/** A start-up failure that is not about usage: the reason, and no pointer to --help (exit 1, EXIT_FAILED). */
const failed = (msg: string): never => exitStartFailure(CLI.name, msg);

function parse(): { opts: WorkerOptions; nworkers: number; v8Flags: string[]; insecure: boolean; tokenHelp: string; tlsWarn: string | undefined } {
  const { values, positionals } = parseCliOrExit(CLI);
  const scheduler = positionals[0]!;
  if (!/^wss?:\/\/[^/]+/.test(scheduler) && !/^ws\+unix:[^:]+:\//.test(scheduler)) fail(`the scheduler address must look like ws://host:8786 (or ws+unix:PATH:/ for a scheduler's --unix-socket), got "${scheduler}"`);
  let token: string | undefined;
  let allowedHosts: string[];
  let tls: TlsOptions | undefined;
  try {
    token = resolveToken(values, process.env, (l) => process.stderr.write(`gluon-worker: ${l}\n`));
    tls = loadTlsFiles({ cert: values['tls-cert'], key: values['tls-key'], ca: values['tls-ca'], requireClientCert: values['require-client-cert'] });
    // Over wss:// the results must not travel in plain text either.
    if (scheduler.startsWith('wss:') && !tls?.cert) throw new Error('the scheduler speaks TLS (wss://): give --tls-cert and --tls-key so this worker serves its results over TLS too');
    // And the reverse, as the analyses refuse it (scheduler-tls.ts): TLS files with a ws:// address
    // is a typo that sent the token to the scheduler in clear (found by the hosts trial: it joined).
    const tlsFlags = (['tls-cert', 'tls-key', 'tls-ca'] as const).filter((f) => values[f] !== undefined).map((f) => `--${f} ${values[f]}`);
    if (scheduler.startsWith('ws:') && tlsFlags.length) {
      throw new Error(`${tlsFlags.join(', ')} given, but the scheduler ${scheduler} is plain ws://, which speaks no TLS: this worker's token and results would cross to it unencrypted; give its wss:// address (a scheduler started with --tls-cert prints "scheduler at wss://…")`);
    }
    // Peers dial the advertised wss://<listen-host>:PORT and check the certificate names it: a
    // certificate for another host would start fine and then fail every fetch from this worker.
    const listenHost = values['listen-host'];
    // A wildcard is what this worker would advertise (wss://0.0.0.0:PORT), and on another host
    // that means that host itself: peers on other hosts could never fetch from it (found by the
    // across-hosts trial: it started, registered and advertised wss://0.0.0.0:46481). On one
    // machine (a loopback or Unix-socket scheduler) it still works, so it is refused only beyond.
    const wild = ['0.0.0.0', '::', '[::]'].includes(listenHost);
    const schedHost = /^wss?:\/\/(\[[^\]]*\]|[^/:]+)/.exec(scheduler)?.[1];
    if (wild && schedHost !== undefined && !isLoopbackHost(schedHost)) {
      throw new Error(`--listen-host ${listenHost} would be advertised to the other workers and the clients as ${scheduler.startsWith('wss:') ? 'wss' : 'ws'}://${listenHost}:PORT, `
        + 'which they cannot dial (on their hosts it names themselves): give the address of this host they reach it by, e.g. --listen-host "$(hostname -i)"');
    }
    const misses = tls?.cert ? certMissesHost(tls.cert, listenHost) : null;
    if (misses) {
      throw new StartFailure(`--tls-cert ${values['tls-cert']} does not name --listen-host ${listenHost} (${misses}): other workers and clients dial this worker `
        + `at wss://${listenHost}:PORT and would refuse it; reissue it with ${isIP(listenHost.replace(/^\[|\]$/g, '')) ? 'IP' : 'DNS'}:${listenHost.replace(/^\[|\]$/g, '')} in its subjectAltName, or give the --listen-host it names`);
    }
    allowedHosts = parseAllowedHosts(values['allowed-host']);
    if (values['lifetime-stagger'] !== undefined && values.lifetime === undefined) throw new Error('--lifetime-stagger varies --lifetime: give --lifetime too');
    if (values['lifetime-stagger'] && values.lifetime !== undefined && values['lifetime-stagger'] >= values.lifetime) throw new Error(staggerNotBelowText('--lifetime-stagger', values['lifetime-stagger'], '--lifetime', values.lifetime));
  } catch (err) {
    // A file named by a flag that cannot be read or holds the wrong thing is not a usage error.
    if (err instanceof StartFailure) failed(err.message);
    exitUsage(CLI.name, (err as Error).message);
  }
  const foreign = tls?.cert && tls.ca ? certNotFromCa(tls.cert, tls.ca) : null;
  return {
    tlsWarn: foreign ? `gluon-worker: warning: --tls-cert ${values['tls-cert']} was not issued by the CA of --tls-ca ${values['tls-ca']} (${foreign}): `
      + 'the scheduler and the other workers, if they trust that CA alone, will refuse this worker ("client certificate from an unknown CA", "unknown CA"); give a certificate the cluster\'s CA issued' : undefined,
    nworkers: values.nworkers,
    // A refusal names the one way the user gave the token (a child of --nworkers, which gets it
    // in GLUON_TOKEN, is told which), or every way when none was given.
    tokenHelp: tokenSource(values, process.env) ?? TOKEN_HELP_FLAGS,
    insecure: values.insecure,
    v8Flags: parseV8Flags(values['v8-flags']),
    opts: {
      scheduler,
      nthreads: values.nthreads,
      allowModules: values['allow-module'],
      listenHost: values['listen-host'],
      allowedHosts,
      maxFrameBytes: values['max-frame-bytes'],
      maxMessageBytes: values['max-message-bytes'],
      maxSendBacklogBytes: values['max-send-backlog'],
      maxUnauthenticatedConnections: values['max-unauthenticated-connections'],
      ...(values.name ? { name: values.name } : {}),
      ...(values['memory-limit'] !== undefined ? { memoryLimit: values['memory-limit'] } : {}),
      ...(values['peer-timeout'] !== undefined ? { peerTimeoutMs: values['peer-timeout'] } : {}),
      ...(values.lifetime !== undefined ? { lifetimeMs: values.lifetime } : {}),
      ...(values['lifetime-stagger'] !== undefined ? { lifetimeStaggerMs: values['lifetime-stagger'] } : {}),
      ...(values['death-timeout'] !== undefined ? { deathTimeoutMs: values['death-timeout'] } : {}),
      ...(token ? { token } : {}),
      ...(tls ? { tls } : {}),
    },
  };
}

/**
 * `--nworkers M`, or a worker whose process lacks its V8 flags: M worker processes with those
 * flags under a supervisor (see superviseChildren); with `--name n` they are `n-0`, `n-1`, ….
 */
function supervise(m: number, name: string | undefined, v8Flags: string[], token: string | undefined, tokenHelp: string): void {
  // The token travels in the children's environment, never on their command lines.
  const args = withoutTokenArgs(process.argv.slice(2)).filter((a, i, all) => !(a.startsWith('--nworkers') || all[i - 1] === '--nworkers'));
  const unnamed = args.filter((a, j, all) => !(a.startsWith('--name') || all[j - 1] === '--name'));
  const argsPerChild = m === 1 ? [args]
    : Array.from({ length: m }, (_, i) => (name === undefined ? unnamed : [...unnamed, '--name', `${name}-${i}`]));
  superviseChildren(new URL(import.meta.url), argsPerChild, v8Flags, { env: envWithToken(token, process.env, tokenHelp), name: 'gluon-worker', what: m === 1 ? 'the worker' : 'a worker' });
}

function main(): void {
  const { opts, nworkers, v8Flags, insecure, tokenHelp, tlsWarn } = parse();
  const exposure = checkExposure({ program: 'gluon-worker', flag: '--listen-host', host: opts.listenHost ?? '127.0.0.1', token: opts.token, insecure, mutualTls: opts.tls?.requireClientCert === true });
  if (exposure.refuse) exitUsage(CLI.name, exposure.refuse);
  hideTokenFromPs();
  const missing = missingV8Flags(v8Flags);
  if (nworkers > 1 || missing.length) return supervise(nworkers, opts.name, missing, opts.token, tokenHelp);
  // Loaded only here, in the process that connects: --help, a usage error and a supervisor load
  // none of the worker (bench/cli-startup.ts). Loaded before the signal handlers go in, as the
  // static import was: a signal while it loads ends the process as one during node's start does.
  const warn = [exposure.warn, tlsWarn].filter((w) => w !== undefined).join('\n');
  void import('./worker.js').then(({ GluonWorker }) => run(GluonWorker, opts, warn || undefined, tokenHelp));
}

/** The worker of this process: made, started, stopped on a signal or when it closes itself. */
function run(Worker: typeof GluonWorker, opts: WorkerOptions, warn: string | undefined, tokenHelp: string): void {
  // Printed by the process that listens (a supervised child prints it, not its supervisor).
  if (warn) process.stderr.write(`${warn}\n`);
  // Signals are handled from the start: a worker still waiting for its scheduler stops cleanly
  // too. The handlers go in before the worker is made: it may print (a warning about
  // --allow-module), and a SIGTERM sent on seeing that line killed the process by the signal.
  let made: GluonWorker | undefined;
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping || !made) return;
    stopping = true;
    made.close(sig).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const w = new Worker(opts, { tlsNames: TLS_FLAG_NAMES, tokenHelp });
  made = w;
  // A supervisor killed with -9 must not leave us behind. The close says what happens to the
  // work here (handed back, running tasks finished and reported).
  stopWithSupervisor(stop, CLI.name);
  // A worker that closes itself (the scheduler asked it to, or came back refusing it: another
  // token or CA) ends its process: 0 when asked, 1 when refused. Without this a supervised worker
  // (its IPC channel open) lived on connected to nothing.
  void w.closedBy().then(({ refused, deathTimeout }) => {
    if (!stopping) process.exit(refused || deathTimeout ? EXIT_FAILED : 0);
  });
  w.start().then(
    () => process.stdout.write(`worker ${w.name} at ${w.address} connected to ${opts.scheduler}\n`),
    (err: NodeJS.ErrnoException) => {
      // It gave up waiting (--death-timeout): its log said so; closedBy() ends the process.
      if (w.gaveUpWaiting) return;
      // Node says only "listen EADDRNOTAVAIL: address not available 10.9.9.9". A host problem, not
      // a usage error (exit 1, as the scheduler's --host): the same flags work where the address is.
      if (!stopping && err.code === 'EADDRNOTAVAIL') failed(`cannot start: --listen-host ${opts.listenHost} is not an address of this machine (EADDRNOTAVAIL): give one of its addresses, which the other workers and the clients can reach`);
      // Likewise "getaddrinfo ENOTFOUND host" for --listen-host, exit 1 as the scheduler's --host (a
      // scheduler name that does not resolve is waited for, not an error at start).
      if (!stopping && err.syscall === 'getaddrinfo' && (err as { hostname?: string }).hostname === opts.listenHost) failed(`cannot start: --listen-host ${opts.listenHost} is not a name this machine can resolve (${err.code}): give one of its addresses, which the other workers and the clients can reach`);
      // The listener's reason says what it is; this says which address it was.
      if (!stopping && (err as { code?: unknown }).code === CloseCode.wrongRole) failed(`cannot start: ${opts.scheduler} refused this worker: ${err.message}`);
      if (!stopping && (err as { code?: unknown }).code === CloseCode.badHello) failed(`cannot start: the scheduler refused this worker's hello: ${err.message.replace(/^hello refused: /, '')}${helloHint(err.message)}`);
      if (!stopping) failed(`cannot start: ${withTokenHelp(err, tokenHelp).message}`);
    },
  );
}

/** Where the field a scheduler refused in the hello comes from, for the user to change it. */
function helloHint(reason: string): string {
  const field = /^hello refused: (\w+)/.exec(reason)?.[1];
  if (field === 'name') return ' (give another --name)';
  if (field === 'host') return ' (this machine\'s host name, as os.hostname() gives it)';
  if (field === 'address') return ' (the data address, from --listen-host and the port)';
  return '';
}

main();
