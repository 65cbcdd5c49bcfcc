/**
 * @gluon/protocol/tools: what a command line needs before it connects or listens — flags and
 * units, tokens, TLS files, exposure checks, V8 flags and supervision, the close codes and log
 * text — and none of the wire (the codec and its msgpackr, connections, the handshake and the
 * listener, which load ws; the message schemas). Every name here is @gluon/protocol's too; a CLI
 * and what its --help, usage errors and job scripts run import from here, so that those load no
 * more than they use (bench/cli-startup.ts, test/clis/cli-loads.ts).
 */
export * from './messages.js';
export * from './log-text.js';
export * from './version.js';
export * from './units.js';
export * from './node-flags.js';
export * from './origin.js';
export * from './exposure.js';
export * from './token.js';
export * from './tls.js';
export * from './tls-temp.js';
export * from './cli.js';
export * from './start-failure.js';
export * from './option-keys.js';
export * from './process-end.js';
export * from './answer-close.js';
