#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  checkExposure, envWithToken, hideTokenFromPs, loadTlsFiles, missingV8Flags, parseAllowedHosts, parseBytes, parseIntIn, parseV8Flags, resolveToken,
  stopWithSupervisor,
  superviseChildren, withoutTokenArgs,
} from '@gluon/protocol';
import { GluonWorker, type WorkerOptions } from './worker.js';
import { WORKER_V8_FLAGS } from './v8-flags.js';

const USAGE = `usage: gluon-worker ws://host:8786 [--nthreads N] [--nworkers M] [--name NAME]
                    [--memory-limit 4GiB] [--allow-module SPEC ...] [--token-file PATH | GLUON_TOKEN | --token T]
                    [--listen-host 127.0.0.1 [--insecure]] [--allowed-host NAME ...] [--max-frame-bytes 256MiB]
                    [--max-message-bytes 1GiB]
                    [--tls-cert PEM --tls-key PEM [--tls-ca PEM] [--require-client-cert]]
                    [--v8-flags="${WORKER_V8_FLAGS.join(' ')}"]`;

function fail(msg: string): never {
  process.stderr.write(`gluon-worker: ${msg}\n`);
  process.exit(2);
}

function parse(): { opts: WorkerOptions; nworkers: number; v8Flags: string[]; insecure: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        nthreads: { type: 'string', default: '1' },
        nworkers: { type: 'string', default: '1' },
        name: { type: 'string' },
        'memory-limit': { type: 'string' },
        'allow-module': { type: 'string', multiple: true, default: [] },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'require-client-cert': { type: 'boolean', default: false },
        'listen-host': { type: 'string', default: '127.0.0.1' },
        insecure: { type: 'boolean', default: false },
        'allowed-host': { type: 'string', multiple: true, default: [] },
        'max-frame-bytes': { type: 'string', default: '256MiB' },
        'max-message-bytes': { type: 'string', default: '1GiB' },
        'v8-flags': { type: 'string', default: WORKER_V8_FLAGS.join(' ') },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (positionals.length !== 1) fail(`expected exactly one scheduler address, got ${positionals.length}\n${USAGE}`);
  const scheduler = positionals[0]!;
  if (!/^wss?:\/\/[^/]+/.test(scheduler)) fail(`the scheduler address must look like ws://host:8786, got "${scheduler}"`);
  try {
    const token = resolveToken(values, process.env, (l) => process.stderr.write(`gluon-worker: ${l}\n`));
    const tls = loadTlsFiles({ cert: values['tls-cert'], key: values['tls-key'], ca: values['tls-ca'], requireClientCert: values['require-client-cert'] });
    // Over wss:// the results must not travel in plain text either.
    if (scheduler.startsWith('wss:') && !tls?.cert) throw new Error('the scheduler speaks TLS (wss://): give --tls-cert and --tls-key so this worker serves its results over TLS too');
    return {
      insecure: values.insecure,
      nworkers: parseIntIn('--nworkers', values.nworkers, 1, 1024),
      v8Flags: parseV8Flags(values['v8-flags']),
      opts: {
        scheduler,
        nthreads: parseIntIn('--nthreads', values.nthreads, 1, 1024),
        allowModules: values['allow-module'],
        listenHost: values['listen-host'],
        allowedHosts: parseAllowedHosts(values['allowed-host']),
        maxFrameBytes: parseBytes('--max-frame-bytes', values['max-frame-bytes']),
        maxMessageBytes: parseBytes('--max-message-bytes', values['max-message-bytes']),
        ...(values.name ? { name: values.name } : {}),
        ...(values['memory-limit'] ? { memoryLimit: parseBytes('--memory-limit', values['memory-limit']) } : {}),
        ...(token ? { token } : {}),
        ...(tls ? { tls } : {}),
      },
    };
  } catch (err) {
    fail((err as Error).message);
  }
}

/**
 * `--nworkers M`, or a worker whose process lacks its V8 flags: M worker processes with those
 * flags under a supervisor (see superviseChildren); with `--name n` they are `n-0`, `n-1`, ….
 */
function supervise(m: number, name: string | undefined, v8Flags: string[], token: string | undefined): void {
  // The token travels in the children's environment, never on their command lines.
  const args = withoutTokenArgs(process.argv.slice(2)).filter((a, i, all) => !(a.startsWith('--nworkers') || all[i - 1] === '--nworkers'));
  const unnamed = args.filter((a, j, all) => !(a.startsWith('--name') || all[j - 1] === '--name'));
  const argsPerChild = m === 1 ? [args]
    : Array.from({ length: m }, (_, i) => (name === undefined ? unnamed : [...unnamed, '--name', `${name}-${i}`]));
  superviseChildren(new URL(import.meta.url), argsPerChild, v8Flags, { env: envWithToken(token) });
}

function main(): void {
  const { opts, nworkers, v8Flags, insecure } = parse();
  const exposure = checkExposure({ program: 'gluon-worker', flag: '--listen-host', host: opts.listenHost ?? '127.0.0.1', token: opts.token, insecure, mutualTls: opts.tls?.requireClientCert === true });
  if (exposure.refuse) fail(exposure.refuse);
  hideTokenFromPs();
  const missing = missingV8Flags(v8Flags);
  if (nworkers > 1 || missing.length) return supervise(nworkers, opts.name, missing, opts.token);
  // Printed by the process that listens (a supervised child prints it, not its supervisor).
  if (exposure.warn) process.stderr.write(`${exposure.warn}\n`);
  // Signals are handled from the start: a worker still waiting for its scheduler stops cleanly too.
  const w = new GluonWorker(opts);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    w.close(sig).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A supervisor killed with -9 must not leave us behind.
  stopWithSupervisor(() => stop('supervisor exited'));
  w.start().then(
    () => process.stdout.write(`worker ${w.name} at ${w.address} connected to ${opts.scheduler}\n`),
    (err: Error) => {
      if (!stopping) fail(`cannot start: ${err.message}`);
    },
  );
}

main();
