/**
 * @gluon/protocol: what every Gluon role shares on the wire — message types, the msgpack frame
 * codec, batching connections, the handshake and the listener — and, from ./tools.js (also
 * `@gluon/protocol/tools`, which loads none of the wire), what their command lines share.
 */
export * from './tools.js';
export * from './schema.js';
export * from './ops.js';
export * from './codec.js';
export * from './wire-records.js';
export * from './values.js';
export * from './connection.js';
export * from './reassembly.js';
export * from './handshake.js';
export * from './socket-error.js';
export * from './listen.js';
export * from './shedding.js';
export * from './option-values.js';
export * from './unauthenticated.js';
export * from './task-context.js';
export * from './heap.js';
export * from './guard.js';
export * from './reconnect.js';
export * from './report.js';
export * from './hop-probe.js';
export * from './microtask.js';
export * from './memory-reading.js';
export * from './ws.js';
