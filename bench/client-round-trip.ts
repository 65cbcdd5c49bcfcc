/**
 * The client's own CPU per sequential `submit(inc).result()` round trip (bench/scheduler.ts (b)),
 * for this checkout's client and another built checkout's (`--baseline=DIR`), both in this
 * process against one stand-in scheduler in a child process that answers every update-graph's
 * wants with `key-in-memory` and the value at once (a driver: no state machine, no workers), so
 * that this process's CPU is the clients' alone. Blocks of BLOCK round trips (default 500)
 * alternate A B B A, BLOCKS per side (default 40) after WARM unmeasured (default 5,000); prints
 * each side's CPU (user + system, process.cpuUsage) and wall time per round trip, medians over
 * its blocks, and this checkout ÷ the baseline. CPU holds under load; wall time does not.
 *
 *   npx tsx bench/client-round-trip.ts --baseline=/path/to/other/checkout
 *
 * The stand-in speaks this checkout's protocol: a baseline of another protocol version is refused
 * at its handshake, and the run stops there, saying so (exit 1). The stand-in stops when this
 * process goes (its stdin closes), however it ends. Not a test.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listen, type Connection, type Message } from '@gluon/protocol';
import { envInt } from './env.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BLOCK = envInt('BLOCK', 500, 1, 1e9);
const BLOCKS = envInt('BLOCKS', 40, 1, 1e6);
const WARM = envInt('WARM', 5000, 0, 1e9);

if (process.argv[2] === '--stand-in') {
  // The child: a scheduler's client side that finishes every wanted key at once. It goes with its
  // parent: left behind, it held the parent's stderr open, and a pipeline reading the run's
  // output (`| tee`, a CI log) waited for it for ever after the parent had failed.
  process.stdin.on('end', () => process.exit(0)).resume();
  let n = 0;
  const server = await listen({
    host: '127.0.0.1', port: 0, self: 'stand-in scheduler', roles: ['client'],
    welcome: () => ({ clientId: `c${++n}`, heartbeatTtlMs: 600_000 }),
    onConnection(conn: Connection) {
      conn.on('message', (m: Message) => {
        if (m.op === 'who-has') return void conn.reply(m, { op: 'who-has-reply', whoHas: {} });
        if (m.op !== 'update-graph') return;
        for (const key of m.wants as string[]) conn.send({ op: 'key-in-memory', key, nbytes: 8, typeName: 'number', workers: ['ws+unix:/tmp/w.sock:/'], value: 1 });
      });
    },
  });
  console.log(server.address);
} else {
  const baseline = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
  if (!baseline) throw new Error('client-round-trip: --baseline=DIR (a built checkout) is required');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--stand-in'], { stdio: ['pipe', 'pipe', 'inherit'] });
  /** Says why the run cannot go on and exits 1, the stand-in with it. */
  const fail = (why: string): never => {
    process.stderr.write(`client-round-trip: ${why}\n`);
    child.kill();
    process.exit(1);
  };
  const address = await new Promise<string>((resolve) => {
    const early = (code: number | null, signal: string | null) => fail(`the stand-in scheduler exited (${code ?? signal}) before it listened`);
    child.once('exit', early);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      child.off('exit', early);
      resolve(line);
    });
  });
  interface Side { label: string; client: { submit(fn: unknown, x: number): { result(): Promise<unknown> }; close(): Promise<void> }; inc: unknown; cpu: number[]; wall: number[] }
  const sides: Side[] = [];
  for (const [label, dir] of [['this', root], ['baseline', resolve(baseline)]] as const) {
    const entry = join(dir, 'packages', 'client', 'dist', 'index.js');
    if (!existsSync(entry)) fail(`${dir} is not a built Gluon checkout (no ${entry}; run npx tsc -b there)`);
    const C = await import(pathToFileURL(entry).href);
    const client = await C.Client.connect(address, { reconnectTimeoutMs: 0 }).catch((err: Error) =>
      // The client's own refusal (a protocol or package version mismatch names both sides).
      fail(`the ${label} client (${dir}) cannot talk to the stand-in scheduler, which speaks this checkout's protocol: ${err.message}`));
    sides.push({ label, client, inc: C.remote('@gluon/examples/tasks', 'inc'), cpu: [], wall: [] });
  }
  let x = 0;
  const run = async (s: Side, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await s.client.submit(s.inc, x++).result();
  };
  for (const s of sides) await run(s, WARM);
  for (let b = 0; b < BLOCKS; b++) {
    for (const s of b % 2 === 0 ? sides : [...sides].reverse()) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await run(s, BLOCK);
      const c = process.cpuUsage(c0);
      s.cpu.push((c.user + c.system) / BLOCK);
      s.wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / BLOCK);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const s of sides) console.log(`${s.label.padEnd(8)} client CPU per round trip ${med(s.cpu).toFixed(1)} µs, wall ${med(s.wall).toFixed(1)} µs (medians over ${BLOCKS} blocks of ${BLOCK})`);
  const [a, b] = sides as [Side, Side];
  console.log(`this ÷ baseline: CPU ${(med(a.cpu) / med(b.cpu)).toFixed(3)}, wall ${(med(a.wall) / med(b.wall)).toFixed(3)}`);
  for (const s of sides) await s.client.close();
  child.kill();
}
