import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hopProbe } from '../../src/index.js';

const run = promisify(execFile);

t.test('off unless GLUON_HOP_PROBE is set: nothing to call, nothing recorded', async (t) => {
  t.equal(process.env.GLUON_HOP_PROBE, undefined, 'the test runs without the variable');
  t.equal(hopProbe, undefined);
});

t.test('set but empty: said on stderr, once, and off (it was off with nothing said)', async (t) => {
  const code = `const { hopProbe } = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}); console.log(hopProbe === undefined ? 'off' : 'on');`;
  for (const value of ['', ' ']) {
    const r = await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, GLUON_HOP_PROBE: value }, timeout: 60_000 });
    t.equal(r.stdout, 'off\n');
    t.equal(r.stderr, 'GLUON_HOP_PROBE is set but empty: nothing is recorded; unset it, or set it to a directory\n', JSON.stringify(value));
  }
});

t.test('on: each message sent and received on a connection is stamped with its op and task keys, written at exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-hop-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A listener and a client in one process: one request about a task, one reply, then exit.
  const code = `
    const { listen, connect, hopProbe, obj, str, num } = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)});
    const server = await listen({
      self: 'scheduler', roles: ['client'], log: () => {}, welcome: () => ({ clientId: 'c1' }),
      onConnection: (conn) => conn.on('message', (m) => conn.reply(m, { op: 'echo-reply', key: m.key })),
    });
    const { conn } = await connect(server.address, { role: 'client' }, {
      timeoutMs: 10000, label: 'the-scheduler',
      inbound: { from: 'the echo server', to: 'client', ops: { 'echo-reply': obj({ op: str(), replyTo: num(), key: str() }) } },
    });
    await conn.request({ op: 'echo', key: 'task-1', tasks: [{ key: 'task-2' }] });
    hopProbe.mark('my-timer');
    conn.close();
    await server.close();
  `;
  await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, GLUON_HOP_PROBE: dir }, timeout: 60_000 });
  const files = readdirSync(dir);
  t.equal(files.length, 1, 'one file for the one process');
  t.match(files[0], /-\d+\.tsv$/);
  const lines = readFileSync(join(dir, files[0]!), 'utf8').replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
  for (const [time] of lines) t.match(time, /^\d+$/, 'hrtime nanoseconds');
  const has = (event: RegExp, key: string) => lines.some(([, e, k]) => event.test(e!) && k === key);
  t.ok(has(/^send echo the-scheduler$/, 'task-1'), 'the client sent echo about task-1');
  t.ok(has(/^recv echo /, 'task-1'), 'the listener received it');
  t.ok(has(/^send echo-reply /, 'task-1'), 'and answered');
  t.ok(has(/^recv echo-reply the-scheduler$/, 'task-1'), 'which the client received');
  t.ok(has(/^my-timer$/, ''), 'a mark about no task');
  const times = lines.map(([time]) => BigInt(time!));
  const send = times[lines.findIndex(([, e, k]) => /^send echo the/.test(e!) && k === 'task-1')]!;
  const recv = times[lines.findIndex(([, e, k]) => /^recv echo /.test(e!) && k === 'task-1')]!;
  t.ok(recv >= send, 'one clock: received after sent');
});
