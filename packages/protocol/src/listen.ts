import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptConnection, HELLO_MAX_BYTES, HELLO_TIMEOUT_MS, type AcceptOptions } from './handshake.js';
import { CONNECTION_WS_OPTIONS, ownLimits, type Connection } from './connection.js';
import type { Hello } from './messages.js';
import { HostGuard } from './origin.js';
import { bindServer, clientCertProblem, serverTlsOptions, type TlsOptions } from './tls.js';
import { logText } from './log-text.js';
import { UnauthenticatedConnections } from './unauthenticated.js';
import { WebSocketServer } from './ws.js';
import { unauthenticatedLacking, type DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS } from './shedding.js';

export interface ListenOptions extends Omit<AcceptOptions, 'remote'> {
  host?: string;
  port?: number;
  /**
   * Called for each connection that passed the handshake and is still open. Messages after the
   * hello are delivered once this returns, so handlers attached here see all of them.
   */
  onConnection: (conn: Connection, hello: Hello, req: IncomingMessage) => void;
  /** Fields to put in each welcome. */
  welcome?: (hello: Hello) => Record<string, unknown>;
  /**
   * Names besides the bound address that clients may put in `Host` (see {@link HostGuard});
   * loopback names are always allowed on a loopback listener.
   */
  allowedHosts?: readonly string[];
  /** Serve `wss://` with this certificate (and require client certificates if it says so). */
  tls?: TlsOptions;
  /**
   * A sentence added to the 426 a plain HTTP request gets (curl, a browser, a Prometheus scrape
   * aimed at this port): the scheduler says where its dashboard, `api/state` and `metrics` are.
   * Read at each request, so it may name a dashboard started after the listener.
   */
  httpNote?: () => string | undefined;
  /**
   * Connections held at once before they authenticate (their hello with the token; a TLS
   * handshake before it): past it, or when one takes the process's last file descriptor, the
   * oldest are closed (default {@link DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS}; shedding.ts).
   */
  maxUnauthenticatedConnections?: number;
  /**
   * What this listener's log lines call it, before its address (default `the ${self}'s port`, as
   * in `the scheduler's port ws://…`). A process whose log prefix already names it gives `its
   * data port`, so that its line does not say its name twice.
   */
  portName?: string;
}

export interface Listener {
  /** `ws://host:port` (`wss://` with TLS) as connectable by others. */
  address: string;
  host: string;
  port: number;
  server: Server | HttpsServer;
  close(): Promise<void>;
}

export interface AcceptConnectionsOptions extends Omit<ListenOptions, 'host' | 'port' | 'portName'> {}

/**
 * Serves handshaken Gluon connections on an existing HTTP server (its upgrade requests). Garbage
 * on the port (non-HTTP bytes, a bad upgrade, a bad first frame) is logged and dropped; it never
 * takes the server down. Upgrades from browsers (any `Origin`) and with a `Host` that does not
 * name this listener are refused with 403 before the handshake. A connection whose hello passed
 * is admitted by `gate` (never closed for room from then on). `close()` drops the connections;
 * the HTTP server is the caller's.
 */
export function acceptConnections(server: Server | HttpsServer, opts: AcceptConnectionsOptions, gate?: UnauthenticatedConnections): { close(): void } {
  const log = logOf(opts);
  // Read at accept and so cached by node: a TLS socket whose handshake failed has lost its
  // address by the time clientError fires, and the log said `from ?`.
  server.prependListener('connection', (raw: Socket) => { void raw.remoteAddress; void raw.remotePort; });
  server.on('clientError', (err, socket) => {
    // TLS handshake failures land here too (no or an untrusted client certificate): one line each.
    const why = `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message.split('\n')[0]!.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '')}`.trim();
    const hint = handshakeAbandoned(err as NodeJS.ErrnoException, socket, opts.self);
    // A TLS client dialled this plain port: its first record is a handshake (0x16) of version 3.x
    // holding a ClientHello (type 1). It was logged as "a malformed connection: HPE_INVALID_METHOD
    // Parse Error" (found by the hosts trial); other bytes still are.
    const raw = (err as { rawPacket?: Buffer }).rawPacket;
    const plain = !(socket as { encrypted?: boolean }).encrypted;
    const tlsHello = plain && raw?.[0] === 0x16 && raw[1] === 0x03 && raw[5] === 0x01;
    log(hint ? `dropped a TLS connection from ${peerOf(socket)} during its handshake: ${why}; ${hint}`
      : tlsHello ? `dropped a TLS connection from ${peerOf(socket)}: ${schemeMismatch(opts.self, false)}`
        : `dropped a malformed connection from ${peerOf(socket)}: ${why}`);
    // A plain-text answer to a TLS client is what makes it report "wrong version number" (see
    // describeTlsError) rather than a bare reset. Written, then the socket is destroyed (as node
    // does): a peer that never reads or never closes its side cannot keep it open.
    if (raw?.[0] === 0x16 && socket.writable) socket.write('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else if (socket.writable && plain) socket.write(httpRefusal(err as NodeJS.ErrnoException, opts.self));
    socket.destroy();
  });
  let guard: HostGuard | undefined;
  const wss = new WebSocketServer({
    // Before its hello, a connection may send one small frame; acceptConnection raises the limit
    // to maxFrameBytes once the hello is accepted.
    server, maxPayload: Math.min(HELLO_MAX_BYTES, ownLimits(opts).maxFrameBytes), ...CONNECTION_WS_OPTIONS,
    verifyClient: ({ req }, done) => {
      // Built on first use: the server's bound address is known once it listens.
      guard ??= new HostGuard({ self: opts.self, bindHost: boundHost(server), ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}) });
      const certProblem = clientCertProblem(req, opts.tls, opts.self);
      // A Unix socket (listenUnix) has no host names to check: no browser page can reach it, and
      // who may connect is the socket file's permissions.
      const refusal = certProblem ?? (typeof server.address() === 'string' ? null : guard.check(req, 'none'));
      if (refusal === null) return done(true);
      log(`refused connection from ${peerOf(req.socket)}: ${refusal}`);
      done(false, 403, `${refusal}\n`, { 'Content-Type': 'text/plain; charset=utf-8', ...(certProblem ? { 'Gluon-Requires': 'client-cert' } : {}) });
    },
  });
  // ws re-emits the HTTP server's errors here; one before it listens (EADDRINUSE) is the listen
  // call's failure, which its caller reports.
  wss.on('error', (err) => { if (server.listening) log(`websocket server error: ${err.message}`); });
  wss.on('connection', (ws, req) => {
    const remote = req.socket.remoteAddress === undefined ? 'the Unix socket' : `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    void acceptConnection(ws, { ...opts, remote, log }, opts.welcome).then((r) => {
      if (!r) return;
      gate?.admit(req.socket);
      // Closed in the same read as its hello (the frame after it was garbage): never registered.
      if (r.conn.closed) return log(`${r.conn.label} closed during its handshake; not registered`);
      opts.onConnection(r.conn, r.hello, req);
      r.conn.release();
    });
  });
  return {
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

/**
 * Options for `http(s).createServer`: a socket that sends no request (or only part of one, or
 * no TLS handshake) is dropped after `ms` (408), not after node's minute and a half, so hundreds
 * of silent sockets hold nothing for long. Upgraded (WebSocket) connections are not affected.
 */
export function silentSocketTimeouts(ms: number): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number; handshakeTimeout: number } {
  return { headersTimeout: ms, requestTimeout: ms, connectionsCheckingInterval: Math.min(1000, ms), handshakeTimeout: ms };
}

/**
 * The plain-text answer to bytes on a Gluon port that are not an HTTP request (or one that never
 * finished arriving): says what the port is and what was wrong, then the socket is closed.
 */
export function httpRefusal(err: NodeJS.ErrnoException, self: string): string {
  const [status, what] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? ['408 Request Timeout', 'no complete HTTP request arrived in time']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? ['431 Request Header Fields Too Large', 'the request headers are too large']
      : ['400 Bad Request', `what was sent is not an HTTP request (${err.code ?? 'parse error'}: ${err.message.split('\n')[0]})`];
  const body = `this is a Gluon ${self} endpoint: it speaks WebSocket (a Gluon client, worker or peer); ${what}\n`;
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Where a listener logs: the given log names its process itself (`… scheduler: …`); the default one prefixes it. */
function logOf(opts: Pick<AcceptConnectionsOptions, 'log' | 'self'>): (line: string) => void {
  return opts.log ?? ((l: string) => process.stderr.write(`${opts.self}: ${logText(l)}\n`));
}

/**
 * A listener's log line for a peer that dialled the other scheme: what it dialled, what this
 * port speaks, and the ways out (its own error, "not a TLS listener" or "plain connection to a
 * TLS listener", says the same on its side). `first` is what a plain peer sent first.
 */
function schemeMismatch(self: string, tlsHere: boolean, first?: Buffer): string {
  if (!tlsHere) return `it dialled wss://, but this ${self}'s port speaks plain ws:// (started without --tls-cert): the other side must dial ws://, or this ${self} be started with --tls-cert and --tls-key`;
  const dialled = first && /^upgrade:[ \t]*websocket/im.test(first.toString('latin1')) ? 'ws://' : 'http:// (or another plain protocol)';
  return `it dialled ${dialled}, but this ${self}'s port speaks TLS: the other side must dial wss://, trusting the CA that signed this ${self}'s --tls-cert (--tls-ca, or tls.ca)`;
}

/** `address:port` of the other end of an accepted socket, or `?` (a TLS socket's is its parent's). */
function peerOf(socket: Duplex): string {
  const own = socket as Partial<Socket> & { _parent?: Partial<Socket> };
  const s = own.remoteAddress !== undefined ? own : own._parent;
  if (s?.remoteAddress === undefined) return '?';
  return `${s.remoteAddress.includes(':') ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort}`;
}

/**
 * Why a TLS handshake on a listener failed, when the other side gave up on it (a reset, or an
 * alert saying it refused this side's certificate), or undefined for anything else. The usual
 * cause across hosts is on the dialling side, which alone knows it: this listener's certificate
 * is not from a CA it trusts, or does not name what it dialled. Said here too, since the
 * listener's log is often the one an operator reads.
 */
function handshakeAbandoned(err: NodeJS.ErrnoException, socket: Duplex, self: string): string | undefined {
  const tls = socket as Duplex & { encrypted?: boolean; _secureEstablished?: boolean };
  if (!tls.encrypted || tls._secureEstablished) return undefined;
  const alert = /alert (unknown ca|bad certificate|certificate unknown|certificate expired|certificate revoked)/i.exec(err.message)?.[1];
  if (!alert && err.code !== 'ECONNRESET') return undefined;
  const where = `its --tls-ca is not the CA that signed this ${self}'s --tls-cert, or it dialled a name or address the certificate does not list; its own error says which`;
  return alert ? `the other side refused this ${self}'s certificate (${alert}): ${where}`
    : `the other side gave up on it, most likely because it does not trust this ${self}'s certificate (${where})`;
}

function boundHost(server: Server | HttpsServer): string {
  const a = server.address();
  return a && typeof a === 'object' ? a.address : '127.0.0.1';
}

/** Listens on host:port (default 127.0.0.1, any free port) for handshaken Gluon connections. */
export async function listen(opts: ListenOptions): Promise<Listener> {
  const host = opts.host ?? '127.0.0.1';
  const answer = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
    // Nothing else will be served on this connection: close it rather than keep it alive.
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    const note = opts.httpNote?.();
    res.end(`this is a Gluon ${opts.self} endpoint; connect with a WebSocket client${note ? ` (${note})` : ''}\n`);
  };
  const helloMs = opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
  const server = opts.tls ? createHttpsServer({ ...serverTlsOptions(opts.tls), ...silentSocketTimeouts(helloMs) }, answer) : createServer(silentSocketTimeouts(helloMs), answer);
  const gate = new UnauthenticatedConnections(opts.self, opts.maxUnauthenticatedConnections, logOf(opts));
  // The name the listener was given (e.g. a host name it resolves) is one of its names.
  const accepting = acceptConnections(server, { ...opts, allowedHosts: [...(opts.allowedHosts ?? []), host] }, gate);
  const log = logOf(opts);
  // Only the dialling side learnt of a plain connection to this TLS port; the operator reading
  // this listener's log saw nothing (found by the hosts trial).
  const onPlain = (socket: Socket, first: Buffer) => log(`refused a plain connection from ${peerOf(socket)}: ${schemeMismatch(opts.self, true, first)}`);
  const bound = await bindServer(server, host, opts.port ?? 0, opts.tls ? { self: `Gluon ${opts.self}`, scheme: 'wss', firstByteTimeoutMs: helloMs, onPlain } : undefined, gate);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const address = `${opts.tls ? 'wss' : 'ws'}://${shownHost}:${bound.port}`;
  gate.listens(`${opts.portName ?? `the ${opts.self}'s port`} ${address}`, address, unauthenticatedLacking(Boolean(opts.tls)));
  return {
    address,
    host,
    port: bound.port,
    server,
    close: () => {
      accepting.close();
      return bound.close();
    },
  };
}

/** `ws+unix:PATH:/`: how a WebSocket client (ws) names a listener on the Unix socket at `path`. */
export function unixSocketAddress(path: string): string {
  return `ws+unix:${path}:/`;
}

/** Whether `address` names a listener on a Unix socket (see {@link unixSocketAddress}). */
export function isUnixSocketAddress(address: string): boolean {
  return address.startsWith('ws+unix:');
}

/** A listener on a Unix socket: its `ws+unix:` address and how to stop it. */
export interface UnixListener {
  address: string;
  path: string;
  close(): Promise<void>;
}

/**
 * Listens on the Unix domain socket at `path` for the same handshaken connections as
 * {@link listen}, for clients and workers on this machine. A frame between processes costs less
 * here than over TCP loopback (no TCP stack; docs/internals.md, "(b): messages, system calls and
 * wake-ups per round trip"). No TLS and no Host check (no browser reaches it); the token, if
 * any, is still required, and the socket file is made readable and writable by its owner only.
 * A file already at `path` is refused, not replaced.
 */
export async function listenUnix(path: string, opts: AcceptConnectionsOptions): Promise<UnixListener> {
  if (opts.tls) throw new Error(`a Unix socket listener (${path}) does not speak TLS; it is for processes on this machine`);
  const helloMs = opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
  const server = createServer(silentSocketTimeouts(helloMs), (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`this is a Gluon ${opts.self} endpoint; connect with a WebSocket client\n`);
  });
  const gate = new UnauthenticatedConnections(`the ${opts.self}'s Unix socket ${path}`, opts.maxUnauthenticatedConnections, logOf(opts));
  server.prependListener('connection', (socket: Socket) => gate.arrived(socket));
  const accepting = acceptConnections(server, opts, gate);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      accepting.close();
      reject(new Error(err.code === 'EADDRINUSE'
        ? `cannot listen on the Unix socket ${path}: a file is already there (a scheduler running, or one that died without removing it)`
        : `cannot listen on the Unix socket ${path}: ${err.message}`));
    });
    server.listen({ path, readableAll: false, writableAll: false }, () => resolve());
  });
  // Owner only, whatever the umask: the token is the only other check.
  chmodSync(path, 0o600);
  gate.listens(`the ${opts.self}'s Unix socket ${path}`, unixSocketAddress(path), unauthenticatedLacking(false));
  return {
    address: unixSocketAddress(path),
    path,
    close: () => {
      gate.close();
      accepting.close();
      server.closeAllConnections();
      // Node removes the socket file when the server closes.
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
