import { createRequire } from 'node:module';
import type { default as WS, WebSocketServer as WSServer } from 'ws';

/*
 * ws, loaded with require(). `import 'ws'` goes through ws's ESM wrapper, and Node's ES module
 * loader then takes each of its CommonJS files in turn: reads it, checks whether it has module
 * syntax (its package has no "type"), scans it for its export names, and only then has the
 * CommonJS loader compile and run it. Loading it through require() does the last step alone:
 * 16 ms of CPU against 45-50 ms (Node 20), paid by every scheduler, worker and client process
 * (bench/cli-startup.ts). The same classes either way: the wrapper re-exports these.
 */
const ws = createRequire(import.meta.url)('ws') as typeof WS & { WebSocketServer: typeof WSServer };

/** ws's WebSocket class (its default export). */
export const WebSocket = ws;
/** A ws WebSocket. */
export type WebSocket = WS;
/** ws's WebSocketServer class. */
export const WebSocketServer = ws.WebSocketServer;
/** A ws WebSocketServer. */
export type WebSocketServer = WSServer;
