#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  checkExposure, envWithToken, hideTokenFromPs, loadTlsFiles, missingV8Flags, type TlsOptions, parseAllowedHosts, parseBytes, parseDuration, parseIntIn, parseV8Flags, resolveToken,
  stopWithSupervisor, superviseChildren, withoutTokenArgs,
} from '@gluon/protocol';
import { startScheduler } from './server.js';
import { SCHEDULER_V8_FLAGS } from './v8-flags.js';

const USAGE = `usage: gluon-scheduler [--host 127.0.0.1 [--insecure]] [--port 8786] [--allowed-host NAME ...]
                       [--token-file PATH | GLUON_TOKEN | --token T]
                       [--tls-cert PEM --tls-key PEM [--tls-ca PEM] [--require-client-cert]]
                       [--dashboard-port 8787 | --no-dashboard] [--dashboard-prefix /path] [--dashboard-session-ttl 8h]
                       [--heartbeat-ttl 30s] [--allowed-failures 3] [--max-frame-bytes 256MiB]
                       [--max-message-bytes 1GiB]
                       [--v8-flags="${SCHEDULER_V8_FLAGS.join(' ')}"]`;

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        insecure: { type: 'boolean', default: false },
        port: { type: 'string', default: '8786' },
        'allowed-host': { type: 'string', multiple: true, default: [] },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'require-client-cert': { type: 'boolean', default: false },
        'dashboard-port': { type: 'string', default: '8787' },
        'no-dashboard': { type: 'boolean', default: false },
        'dashboard-prefix': { type: 'string' },
        'dashboard-session-ttl': { type: 'string', default: '8h' },
        'heartbeat-ttl': { type: 'string', default: '30s' },
        'allowed-failures': { type: 'string', default: '3' },
        'max-frame-bytes': { type: 'string', default: '256MiB' },
        'max-message-bytes': { type: 'string', default: '1GiB' },
        'v8-flags': { type: 'string', default: SCHEDULER_V8_FLAGS.join(' ') },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let opts;
  let v8Flags: string[];
  let token: string | undefined;
  let tls: TlsOptions | undefined;
  try {
    token = resolveToken(values, process.env, (l) => process.stderr.write(`gluon-scheduler: ${l}\n`));
    v8Flags = parseV8Flags(values['v8-flags']);
    tls = loadTlsFiles({ cert: values['tls-cert'], key: values['tls-key'], ca: values['tls-ca'], requireClientCert: values['require-client-cert'] });
    if (tls && !tls.cert) throw new Error('--tls-ca alone does nothing on the scheduler: give --tls-cert and --tls-key to serve wss://');
    opts = {
    host: values.host,
    port: parseIntIn('--port', values.port, 0, 65535),
    allowedHosts: parseAllowedHosts(values['allowed-host']),
    dashboard: !values['no-dashboard'],
    dashboardPort: parseIntIn('--dashboard-port', values['dashboard-port'], 0, 65535),
    heartbeatTtlMs: parseDuration('--heartbeat-ttl', values['heartbeat-ttl']),
    dashboardSessionTtlMs: atLeast('--dashboard-session-ttl', parseDuration('--dashboard-session-ttl', values['dashboard-session-ttl']), 1000, '1s'),
    allowedFailures: parseIntIn('--allowed-failures', values['allowed-failures'], 1, 1000),
    maxFrameBytes: parseBytes('--max-frame-bytes', values['max-frame-bytes']),
    maxMessageBytes: parseBytes('--max-message-bytes', values['max-message-bytes']),
    ...(token ? { token } : {}),
    ...(tls ? { tls } : {}),
    ...(values['dashboard-prefix'] ? { dashboardPrefix: values['dashboard-prefix'] } : {}),
    };
  } catch (err) {
    fail((err as Error).message);
  }
  const exposure = checkExposure({ program: 'gluon-scheduler', flag: '--host', host: opts.host, token, insecure: values.insecure, mutualTls: tls?.requireClientCert === true });
  if (exposure.refuse) fail(exposure.refuse);
  // V8 reads these at start-up only: without them, run as a child that has them.
  hideTokenFromPs();
  const missing = missingV8Flags(v8Flags);
  if (missing.length) {
    // The token travels in the child's environment, never on its command line.
    superviseChildren(new URL(import.meta.url), [withoutTokenArgs(process.argv.slice(2))], missing, { env: envWithToken(token) });
    return;
  }
  // Printed by the process that listens (a supervised child prints it, not its supervisor).
  if (exposure.warn) process.stderr.write(`${exposure.warn}\n`);
  startScheduler(opts).then(
    (s) => {
      // The address line comes last: whoever waits for it has seen everything else.
      if (s.dashboardUrl) process.stdout.write(`dashboard at ${s.dashboardUrl}\n`);
      process.stdout.write(`scheduler at ${s.address}\n`);
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`scheduler: ${sig}, shutting down\n`);
        s.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      // Run by a supervisor (see above): one killed with -9 must not leave us holding the port.
      stopWithSupervisor(() => stop('supervisor exited'));
    },
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') fail(`cannot listen on ${opts.host}:${opts.port}: the port is in use (choose another with --port, or 0 for any free port)`);
      fail(`cannot start: ${err.message}`);
    },
  );
}

function atLeast(flag: string, ms: number, min: number, shown: string): number {
  if (ms < min) throw new RangeError(`${flag} must be at least ${shown}, got ${ms} ms`);
  return ms;
}

function fail(msg: string): never {
  process.stderr.write(`gluon-scheduler: ${msg}\n`);
  process.exit(2);
}

main();
