/**
 * TLS for every Gluon listener and connection: `wss://` for the scheduler and the workers'
 * data listeners, HTTPS for the dashboard, optionally mutual (each side proves its certificate,
 * the way Dask's `Security` works). One certificate per process serves both as its server
 * certificate and as its client certificate when it connects out.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import { createServer as createNetServer, isIP, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { answerAndClose } from './answer-close.js';
import { checkOptionKeys, type OptionKeys } from './option-keys.js';
import { StartFailure } from './start-failure.js';
import type { UnauthenticatedConnections } from './unauthenticated.js';

/** TLS material, as PEM text or bytes. */
export interface TlsOptions {
  /** This side's certificate (chain), PEM: its server certificate, and its client certificate. */
  // (API callers may pass file paths instead of PEM: see readTlsMaterial.)
  cert?: string | Buffer;
  /** The certificate's private key, PEM. */
  key?: string | Buffer;
  /** The CA certificate(s) this side trusts for the other side (PEM); default: the system's CAs. */
  ca?: string | Buffer;
  /** Listeners only: refuse connections without a certificate signed by `ca` (mutual TLS). */
  requireClientCert?: boolean;
}

/** Paths of TLS files, as the CLIs and `LocalCluster` take them. */
export interface TlsFiles {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
  requireClientCert?: boolean | undefined;
}

/**
 * The keys of {@link TlsOptions} and {@link TlsFiles} (the same four), for `checkOptionKeys`: a
 * misspelt key (`tls: { cet: … }`) is refused instead of the certificate silently missing.
 */
export const TLS_OPTION_KEYS: OptionKeys<TlsOptions> & OptionKeys<TlsFiles> = { cert: true, key: true, ca: true, requireClientCert: true };

/**
 * Which end a `tls` option object configures: a `listener` (the scheduler, a worker, which also
 * listens for its peers, or `LocalCluster`, which starts both) takes every key; a `client` only
 * connects, so `requireClientCert` would mean nothing there.
 */
export type TlsSide = 'listener' | 'client';

/**
 * TLS material for a side that only connects (`Client.connect`): {@link TlsOptions} without
 * `requireClientCert`, which only a listener can act on. Its own type so that TypeScript refuses
 * the key in a client's options; `checkTlsOptionKeys` still refuses it at run time, for callers
 * TypeScript does not check.
 */
export type ClientTlsOptions = Omit<TlsOptions, 'requireClientCert'>;

/** The keys a connecting-only side (`Client.connect`) takes: `requireClientCert` is the listener's. */
const CLIENT_TLS_OPTION_KEYS: OptionKeys<ClientTlsOptions> = { cert: true, key: true, ca: true };

/**
 * Refuses a `tls` option object's unknown keys (as `checkOptionKeys` does, naming `where`) and,
 * on the `client` side, `requireClientCert`: accepted silently it would read as if the client
 * demanded a certificate, while only a listener can; the unknown-key message lists only the
 * keys that side takes.
 */
export function checkTlsOptionKeys(tls: TlsOptions | TlsFiles | undefined, where: string, side: TlsSide): void {
  if (side === 'listener') return checkOptionKeys(tls, TLS_OPTION_KEYS, where, 'TLS option');
  if (tls !== null && typeof tls === 'object' && Object.hasOwn(tls, 'requireClientCert')) {
    throw new TypeError(`${where}: requireClientCert is a listener's option (the scheduler's or a worker's, --require-client-cert), not a client's: `
      + 'a client presents its cert and key when the scheduler requires them; the client\'s TLS options are cert, key, ca');
  }
  checkOptionKeys(tls as ClientTlsOptions | undefined, CLIENT_TLS_OPTION_KEYS, where, 'TLS option');
}

/** Options for `https.createServer`: the certificate, and client certificates when required. */
export function serverTlsOptions(tls: TlsOptions): ServerOptions {
  if (!tls.cert || !tls.key) throw new Error('a TLS listener needs a certificate and its key (--tls-cert and --tls-key)');
  if (tls.requireClientCert && !tls.ca) throw new Error('requiring client certificates needs the CA that signs them (--tls-ca)');
  return {
    cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2',
    ...(tls.ca ? { ca: tls.ca } : {}),
    requestCert: tls.requireClientCert === true,
    // Checked per request by clientCertProblem instead of failing the handshake: with TLS 1.3 a
    // refused client certificate's alert arrives after the client has sent its request, and is
    // then usually lost to a TCP reset; a 403 can say exactly what was wrong.
    rejectUnauthorized: false,
  };
}

/**
 * Why a request on a listener that requires client certificates must be refused (no
 * certificate, one from an unknown CA, an expired one, one not for client use), or null when it proved its certificate
 * or none is required. Every request handler of such a listener calls this first.
 */
export function clientCertProblem(req: Pick<IncomingMessage, 'socket'>, tls: TlsOptions | undefined, self: string,
                                  how = '--tls-cert and --tls-key, or tls.cert and tls.key'): string | null {
  if (!tls?.requireClientCert) return null;
  const socket = req.socket as TLSSocket;
  if (socket.authorized) return null;
  const code = String(socket.authorizationError ?? '');
  const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  if (!presented) return `client certificate required: ${self} requires a certificate signed by its CA (${how})`;
  if (code === 'CERT_HAS_EXPIRED') return `client certificate expired: ${self} refused this side's certificate because it has expired [${code}]`;
  if (code === 'CERT_NOT_YET_VALID') return `client certificate not yet valid: ${self} refused this side's certificate (check the clocks) [${code}]`;
  // OpenSSL's verdict for a certificate whose extendedKeyUsage lists serverAuth but not
  // clientAuth: the CA is the right one, so "unknown CA" would send the user after the wrong file.
  if (code === 'INVALID_PURPOSE') return `client certificate not for client use: ${self} refused this side's certificate: its extendedKeyUsage lacks clientAuth (reissue it with extendedKeyUsage=serverAuth,clientAuth) [${code}]`;
  return `client certificate from an unknown CA: ${self} accepts only certificates signed by its --tls-ca [${code}]`;
}

/** Options for an outgoing `wss://` connection: what to trust, and what to present. */
export function clientTlsOptions(tls: ClientTlsOptions | undefined): { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer } {
  if (!tls) return {};
  return { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) };
}

/** First byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

/**
 * Puts a TLS server (`https.createServer`) behind a plain TCP server that looks at the first
 * byte of each connection: a TLS handshake goes on to TLS; anything else (a client that dialled
 * `ws://` or `http://`) gets a plain-text `400` saying to use TLS — instead of a TLS error
 * that the client could only report as a dropped connection. Connections that send nothing are
 * dropped after `firstByteTimeoutMs`. Listen on the returned server; its `dropAll()` destroys
 * every connection it accepted (the HTTPS server never listens itself, so it does not track them).
 * `onPlain` is told of each plain connection before it is answered (its address is still known).
 */
export function sniffTls(app: HttpsServer, self: string, scheme: 'wss' | 'https', firstByteTimeoutMs = 10_000, onPlain?: (socket: Socket, first: Buffer) => void): NetServer & { dropAll(): void } {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE) {
        app.emit('connection', socket);
        return;
      }
      onPlain?.(socket, chunk);
      const body = `${self} speaks TLS on this port: connect with ${scheme}://\n`;
      answerAndClose(socket, `HTTP/1.1 400 Bad Request\r\nGluon-Requires: tls\r\nContent-Type: text/plain; charset=utf-8\r\n`
        + `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, firstByteTimeoutMs);
    });
  }) as NetServer & { dropAll(): void };
  server.dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return server;
}

/**
 * Binds `app` (HTTP, or HTTPS behind {@link sniffTls}) to host:port. Resolves with the port and
 * a `close` that stops listening and drops every connection. Each accepted socket is handed to
 * `gate` (before a TLS handshake or a request), which holds the unauthenticated ones to its bound.
 */
export async function bindServer(app: HttpServer | HttpsServer, host: string, port: number,
                                 tls: { self: string; scheme: 'wss' | 'https'; firstByteTimeoutMs?: number; onPlain?: (socket: Socket, first: Buffer) => void } | undefined,
                                 gate?: UnauthenticatedConnections): Promise<{ port: number; close(): Promise<void> }> {
  const front: NetServer & { dropAll?(): void } = tls ? sniffTls(app as HttpsServer, tls.self, tls.scheme, tls.firstByteTimeoutMs, tls.onPlain) : app;
  if (gate) front.prependListener('connection', (socket: Socket) => gate.arrived(socket));
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  return {
    port: (front.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => {
      gate?.close();
      front.close(() => resolve());
      if (front.dropAll) front.dropAll();
      else (app as HttpServer).closeAllConnections();
    }),
  };
}

/**
 * Reads and checks TLS files (the CLIs' `--tls-cert`, `--tls-key`, `--tls-ca`,
 * `--require-client-cert`): certificate and key together, the key belonging to the certificate,
 * the certificate currently valid, the CA given when client certificates are required. Errors
 * name the flag and the path. Returns undefined when no TLS flag is given.
 */
export function loadTlsFiles(files: TlsFiles, now = new Date()): TlsOptions | undefined {
  if (!files.cert && !files.key && !files.ca && !files.requireClientCert) return undefined;
  if (!files.cert !== !files.key) throw new Error('--tls-cert and --tls-key go together: give both (the certificate and its private key)');
  if (files.requireClientCert && !files.ca) throw new Error('--require-client-cert needs --tls-ca: the CA whose certificates are accepted');
  if (files.requireClientCert && !files.cert) throw new Error('--require-client-cert needs --tls-cert and --tls-key: this side\'s own certificate');
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new StartFailure(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const out: TlsOptions = {};
  if (files.ca) {
    out.ca = read('--tls-ca', files.ca);
    checkCaBundle('--tls-ca', files.ca, out.ca);
  }
  if (files.cert && files.key) {
    out.cert = read('--tls-cert', files.cert);
    out.key = read('--tls-key', files.key);
    const cert = checkKeyPair(['--tls-cert', files.cert, out.cert], ['--tls-key', files.key, out.key]);
    if (new Date(cert.validTo) < now) throw new StartFailure(`--tls-cert ${files.cert} expired on ${cert.validTo}`);
    if (new Date(cert.validFrom) > now) throw new StartFailure(`--tls-cert ${files.cert} is not valid before ${cert.validFrom}`);
  }
  if (files.requireClientCert) out.requireClientCert = true;
  return out;
}

/**
 * Why the certificate `cert` (PEM) would be refused by whoever dials `host`, or null when its
 * subjectAltName (or, without DNS names, its subject's CN) names `host`. A wildcard bind
 * (`0.0.0.0`, `::`) is never dialled as such and passes. `gluon-worker` checks its `--listen-host`
 * with this: it advertises `wss://<listen-host>:<port>` and its peers dial exactly that.
 */
export function certMissesHost(cert: string | Buffer, host: string): string | null {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0' || bare === '::') return null;
  const x = new X509Certificate(cert);
  const named = isIP(bare) ? x.checkIP(bare) : x.checkHost(bare);
  if (named !== undefined) return null;
  return `it names ${x.subjectAltName || `no address (subject ${x.subject.replace(/\n/g, ', ')})`}`;
}

/**
 * Why `cert` (PEM, a leaf and perhaps its chain) would not verify against the CA bundle `ca`, or
 * null when one of its certificates is in the bundle or was issued (and signed) by one there.
 * A process's own certificate from another CA than its --tls-ca started fine, and then every
 * peer that trusts only that CA refused it ("unknown CA"), sending its user to their own
 * --tls-ca (found by the hosts trial). Only a warning: peers may trust a bundle of both.
 */
export function certNotFromCa(cert: string | Buffer, ca: string | Buffer): string | null {
  const pems = (b: string | Buffer) => (b.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
  const chain = pems(cert);
  const anchors = pems(ca);
  const from = (x: X509Certificate, a: X509Certificate) => x.fingerprint256 === a.fingerprint256 || (x.checkIssued(a) && x.verify(a.publicKey));
  if (chain.length === 0 || chain.some((x) => anchors.some((a) => from(x, a)))) return null;
  const name = (dn: string): string => dn.replace(/\n/g, ', ');
  return `it was issued by ${name(chain[chain.length - 1]!.issuer)}; the CA file holds ${anchors.map((a) => name(a.subject)).join('; ')}`;
}

/**
 * TLS material given by API callers: each of `ca`, `cert`, `key` may be PEM text, PEM bytes, or
 * a file path (a string that is not PEM). Paths are read now, and checked as the CLIs check their
 * files (except the certificate's dates, which the other side names when it refuses one): `cert`
 * and `key` go together, each parses, the key is the certificate's, `ca` holds a certificate.
 * Errors name the field and the path (or `(PEM text)`), not OpenSSL's words for the failed
 * handshake ('key values mismatch', 'no start line').
 */
export function readTlsMaterial(tls: TlsOptions, what = 'tls'): TlsOptions {
  const out: TlsOptions = { ...tls };
  const source: Partial<Record<'ca' | 'cert' | 'key', string>> = {};
  for (const field of ['ca', 'cert', 'key'] as const) {
    const v = tls[field];
    if (v === undefined) continue;
    source[field] = typeof v === 'string' && !v.includes('-----BEGIN') ? v : '(PEM text)';
    if (typeof v !== 'string' || v.includes('-----BEGIN')) continue;
    try {
      out[field] = readFileSync(v);
    } catch (err) {
      throw new StartFailure(`${what}.${field} ${v}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  // The caller's name once, at the start ('Client.connect: tls.key … is not the key of tls.cert …'):
  // it was repeated before each field ('… of Client.connect: tls.cert …').
  const base = what.slice(what.lastIndexOf(': ') + 1).trimStart();
  if ((out.cert === undefined) !== (out.key === undefined)) {
    throw new Error(`${what}.cert and ${base}.key go together: give both (the certificate and its private key)`);
  }
  if (out.ca !== undefined) checkCaBundle(`${what}.ca`, source.ca!, out.ca);
  if (out.cert !== undefined && out.key !== undefined) {
    checkKeyPair([`${what}.cert`, source.cert!, out.cert], [`${what}.key`, source.key!, out.key], `${base}.cert`);
  }
  return out;
}

/** A CA bundle holds at least one certificate and each parses; errors name `flag` and `source` (a path or `(PEM text)`). */
function checkCaBundle(flag: string, source: string, ca: string | Buffer): void {
  const pems = ca.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new StartFailure(`${flag} ${source}: no PEM certificate in it`);
  const certs = pems.map((pem) => parseCert(flag, source, pem));
  const problem = noTrustAnchor(certs);
  if (problem) throw new StartFailure(`${flag} ${source} ${problem}`);
}

/**
 * Why a CA bundle can verify no peer, or null. A certificate issued by another (not
 * self-issued) and not a CA's (basicConstraints CA:FALSE) verifies nothing: OpenSSL looks for
 * the peer's issuer among the trusted certificates, and a leaf is nobody's issuer. Giving a
 * host's own certificate (node.pem) where the CA's (ca.pem) belongs is an easy slip; unchecked,
 * every connection then failed with 'unknown CA', which names neither the file nor the slip.
 * A self-signed certificate is let through: trusting it pins that one certificate.
 */
function noTrustAnchor(certs: readonly X509Certificate[]): string | null {
  if (certs.some((x) => x.ca || x.checkIssued(x))) return null;
  const x = certs[0]!;
  const name = (dn: string): string => dn.replace(/\n/g, ', ');
  const held = certs.length === 1
    ? `it holds ${name(x.subject)}'s certificate, issued by ${name(x.issuer)}, which is not a CA's (its basicConstraints lack CA:TRUE) and so verifies no peer`
    : `its ${certs.length} certificates (the first ${name(x.subject)}'s, issued by ${name(x.issuer)}) are not CAs' (their basicConstraints lack CA:TRUE) and so verify no peer`;
  return `holds no CA certificate: ${held}; give the certificate of the CA that issued it (${name(x.issuer)})`;
}

/**
 * The certificate of a `[flag, source, PEM]` pair, checked to parse and to be the key's: errors
 * name each side by its flag (or field) and source, not OpenSSL's 'key values mismatch'.
 */
function checkKeyPair(cert: [string, string, string | Buffer], key: [string, string, string | Buffer], certAfterKey = cert[0]): X509Certificate {
  const x = parseCert(cert[0], cert[1], cert[2]);
  let k;
  try {
    k = createPrivateKey(key[2]);
  } catch (err) {
    throw new StartFailure(`${key[0]} ${key[1]}: not a PEM private key (${(err as Error).message})`);
  }
  if (!x.checkPrivateKey(k)) throw new StartFailure(`${key[0]} ${key[1]} is not the key of ${certAfterKey} ${cert[1]}`);
  return x;
}

function parseCert(flag: string, path: string, pem: string | Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new StartFailure(`${flag} ${path}: not a PEM certificate (${(err as Error).message})`);
  }
}

/** OpenSSL/Node error codes of a certificate the connecting side does not trust. */
const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE',
]);

/** What the user calls this side's CA and certificate, for TLS errors to tell them what to change. */
export interface TlsNames {
  ca: string;
  certKey: string;
}

/** Both spellings, for a side that cannot tell whether a CLI or a library call configured it. */
export const TLS_EITHER_NAMES: TlsNames = { ca: '--tls-ca, or tls.ca', certKey: '--tls-cert and --tls-key, or tls.cert and tls.key' };
/** A command line's flags (`gluon-worker --tls-ca …`). */
export const TLS_FLAG_NAMES: TlsNames = { ca: '--tls-ca', certKey: '--tls-cert and --tls-key' };
/** A library's options (`startWorker({ tls: { ca } })`). */
export const TLS_OPTION_NAMES: TlsNames = { ca: 'tls.ca', certKey: 'tls.cert and tls.key' };
/** The analysis CLIs' flags and config.yaml keys (`gluon-h4l run --tls-ca`, `tls_ca:`). */
export const TLS_CONFIG_NAMES: TlsNames = { ca: '--tls-ca, or tls_ca in the config file', certKey: '--tls-cert and --tls-key, or tls_cert and tls_key in the config file' };

/**
 * A TLS failure of a connection to `label` said plainly, naming which mismatch it is and what
 * this side calls the setting to change (`names`); null when `err` is not a TLS failure.
 */
export function describeTlsError(err: NodeJS.ErrnoException, label: string, names: TlsNames = TLS_EITHER_NAMES): string | null {
  const code = err.code ?? '';
  if (UNKNOWN_CA.has(code)) {
    return `unknown CA: the certificate of ${label} is not signed by a CA this side trusts; give the cluster's CA (${names.ca}) [${code}]`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `expired certificate: the certificate of ${label} has expired; renew it [${code}]`;
  if (code === 'CERT_NOT_YET_VALID') return `certificate not yet valid: the certificate of ${label} is not valid yet (check the clocks) [${code}]`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = (err as { cert?: { subjectaltname?: string } }).cert?.subjectaltname;
    return `wrong host name: the certificate of ${label} does not name ${(err as { host?: string }).host ?? 'the host this side dialled'} `
      + `(it names ${names || 'no host'}); connect by a name the certificate lists, or reissue it with this one in its subjectAltName`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || /wrong version number|packet length too long/i.test(err.message)) {
    return `not a TLS listener: ${label} does not speak TLS; connect with ws:// (or start it with --tls-cert and --tls-key) [${code}]`;
  }
  if (/CERTIFICATE_REQUIRED|alert handshake failure/i.test(code + err.message) && /alert/i.test(code + err.message)) {
    return `client certificate required: ${label} requires a certificate from this side (${names.certKey}) [${code}]`;
  }
  if (/ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_UNKNOWN/i.test(code)) {
    return `client certificate refused: ${label} does not trust this side's certificate (unknown CA: it accepts certificates signed by its --tls-ca) [${code}]`;
  }
  if (/ALERT_CERTIFICATE_EXPIRED/i.test(code)) return `client certificate refused: ${label} says this side's certificate has expired [${code}]`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `TLS handshake with ${label} failed: ${err.message} [${code}]`;
  return null;
}
