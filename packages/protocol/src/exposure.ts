import { isLoopbackHost } from './origin.js';

/** What a CLI is about to bind, for {@link checkExposure}. */
export interface Exposure {
  /** `gluon-scheduler`, `gluon-worker`: names the program in the texts. */
  program: string;
  /** The flag that chose the address, e.g. `--host`, `--listen-host`. */
  flag: string;
  host: string;
  token: string | undefined;
  /** `--insecure` was given: listen anyway, with a warning. */
  insecure: boolean;
  /** `--require-client-cert`: every connection proves a certificate of the cluster's CA instead. */
  mutualTls?: boolean;
}

/**
 * Decides whether a CLI may listen on `host`. Beyond loopback without a token or mutual TLS, whoever can
 * reach the port can run task code on the workers and read every result, so that is refused
 * unless `--insecure` says it is meant, and then warned about loudly. Returns the refusal (exit
 * with it) or the warning (print it) or neither.
 */
export function checkExposure(e: Exposure): { refuse?: string; warn?: string } {
  if (isLoopbackHost(e.host) || (e.token !== undefined && e.token !== '') || e.mutualTls) return {};
  const what = `${e.flag} ${e.host} listens beyond this machine without a token: anyone who can reach the port can run task code on the workers and read every result`;
  if (!e.insecure) {
    return { refuse: `${what}. Set a token (--token-file PATH or GLUON_TOKEN) or mutual TLS (--require-client-cert), listen on 127.0.0.1 (an SSH tunnel reaches it), or pass --insecure if that is really meant` };
  }
  const bar = '!'.repeat(78);
  return { warn: `${bar}\n${e.program}: WARNING: --insecure: ${what}.\n${bar}` };
}
