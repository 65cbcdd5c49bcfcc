/**
 * @gluon/protocol: what every Gluon role shares on the wire — message types, the msgpack frame
 * codec, batching connections, the handshake and the listener.
 */
export * from './messages.js';
export * from './schema.js';
export * from './log-text.js';
export * from './ops.js';
export * from './version.js';
export * from './codec.js';
export * from './wire-records.js';
export * from './values.js';
export * from './connection.js';
export * from './reassembly.js';
export * from './handshake.js';
export * from './socket-error.js';
export * from './listen.js';
export * from './shedding.js';
export * from './unauthenticated.js';
export * from './task-context.js';
export * from './units.js';
export * from './heap.js';
export * from './node-flags.js';
export * from './origin.js';
export * from './exposure.js';
export * from './token.js';
export * from './guard.js';
export * from './reconnect.js';
export * from './tls.js';
export * from './tls-temp.js';
export * from './cli.js';
export * from './start-failure.js';
export * from './report.js';
export * from './hop-probe.js';
export * from './option-keys.js';
export * from './process-end.js';
export * from './microtask.js';
export * from './memory-reading.js';
export * from './answer-close.js';
