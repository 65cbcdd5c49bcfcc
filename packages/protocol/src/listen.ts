import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { acceptConnection, HELLO_MAX_BYTES, type AcceptOptions } from './handshake.js';
import { ownLimits, type Connection } from './connection.js';
import type { Hello } from './messages.js';
import { HostGuard } from './origin.js';

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
}

export interface Listener {
  /** `ws://host:port` as connectable by others. */
  address: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export interface AcceptConnectionsOptions extends Omit<ListenOptions, 'host' | 'port'> {}

/**
 * Serves handshaken Gluon connections on an existing HTTP server (its upgrade requests). Garbage
 * on the port (non-HTTP bytes, a bad upgrade, a bad first frame) is logged and dropped; it never
 * takes the server down. Upgrades from browsers (any `Origin`) and with a `Host` that does not
 * name this listener are refused with 403 before the handshake. `close()` drops the
 * connections; the HTTP server is the caller's.
 */
export function acceptConnections(server: Server, opts: AcceptConnectionsOptions): { close(): void } {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  server.on('clientError', (err, socket) => {
    log(`${opts.self}: dropped a malformed connection from ${(socket as { remoteAddress?: string }).remoteAddress ?? '?'}: ${err.message}`);
    socket.destroy();
  });
  let guard: HostGuard | undefined;
  const wss = new WebSocketServer({
    // Before its hello, a connection may send one small frame; acceptConnection raises the limit
    // to maxFrameBytes once the hello is accepted.
    server, maxPayload: Math.min(HELLO_MAX_BYTES, ownLimits(opts).maxFrameBytes), perMessageDeflate: false,
    verifyClient: ({ req }, done) => {
      // Built on first use: the server's bound address is known once it listens.
      guard ??= new HostGuard({ self: opts.self, bindHost: boundHost(server), ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}) });
      const refusal = guard.check(req, 'none');
      if (refusal === null) return done(true);
      log(`${opts.self}: refused connection from ${req.socket.remoteAddress ?? '?'}: ${refusal}`);
      done(false, 403, `${refusal}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });
    },
  });
  wss.on('error', (err) => log(`${opts.self}: websocket server error: ${err.message}`));
  wss.on('connection', (ws, req) => {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    void acceptConnection(ws, { ...opts, remote, log }, opts.welcome).then((r) => {
      if (!r) return;
      // Closed in the same read as its hello (the frame after it was garbage): never registered.
      if (r.conn.closed) return log(`${opts.self}: ${r.conn.label} closed during its handshake; not registered`);
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

function boundHost(server: Server): string {
  const a = server.address();
  return a && typeof a === 'object' ? a.address : '127.0.0.1';
}

/** Listens on host:port (default 127.0.0.1, any free port) for handshaken Gluon connections. */
export async function listen(opts: ListenOptions): Promise<Listener> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end(`this is a Gluon ${opts.self} endpoint; connect with a WebSocket client\n`);
  });
  // The name the listener was given (e.g. a host name it resolves) is one of its names.
  const accepting = acceptConnections(server, { ...opts, allowedHosts: [...(opts.allowedHosts ?? []), host] });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    address: `ws://${shownHost}:${port}`,
    host,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        accepting.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
