/**
 * LocalCluster's maxUnauthenticatedConnections reaches its scheduler and its workers, as the CLIs'
 * --max-unauthenticated-connections does: past it the oldest idle connections are closed, on the
 * scheduler's port and on a worker's data port alike. It was not an option before (refused as an
 * unknown key), so a LocalCluster's listeners always held up to 512 each.
 */
import net from 'node:net';
import t from 'tap';
import { LocalCluster } from '@gluon/client';
import { within } from '../../../deploy/test/helpers.js';

const BOUND = 2;

/** An idle TCP connection and whether it was closed without a byte of answer (closed for room). */
interface Idle { socket: net.Socket; closed: Promise<void>; closedSilently(): boolean }

/** Opens `n` idle connections to `address`'s port one after another (each connected before the next). */
async function idleInOrder(address: string, n: number): Promise<Idle[]> {
  const { hostname, port } = new URL(address);
  const out: Idle[] = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect(Number(port), hostname);
    let answered = false;
    let isClosed = false;
    socket.on('error', () => {});
    socket.on('data', () => { answered = true; });
    const closed = new Promise<void>((resolve) => socket.once('close', () => { isClosed = true; resolve(); }));
    await within(new Promise((resolve) => socket.once('connect', resolve)), `idle connection ${i} to ${address}`);
    out.push({ socket, closed, closedSilently: () => isClosed && !answered });
  }
  return out;
}

t.test('a LocalCluster started with maxUnauthenticatedConnections closes the oldest idle connections past it, on the scheduler and on its workers', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, maxUnauthenticatedConnections: BOUND });
  t.teardown(() => cluster.close());
  const places = [['the scheduler\'s port', cluster.schedulerAddress], ['the worker\'s data port', cluster.workers[0]!.address]] as const;
  for (const [where, address] of places) {
    const idle = await idleInOrder(address, BOUND + 2);
    t.teardown(() => { for (const c of idle) c.socket.destroy(); });
    await within(Promise.all(idle.slice(0, 2).map((c) => c.closed)), `${where}: the 2 oldest idle connections closed`);
    // The hello timeout (10 s) may answer the newest with a 408 on a loaded machine; closed for
    // room is closed without a word, and that only the 2 oldest were.
    t.same(idle.map((c) => c.closedSilently()), [true, true, false, false], `${where}: the 2 oldest closed for room, the newest ${BOUND} not`);
  }
  // Its own connections are authenticated and never closed for room: a client gets in beside them.
  const client = await within(cluster.client(), 'a client connecting beside the idle connections');
  t.equal(client.workersKnown, 1, 'the worker is still registered: its connection was not closed for room');
});

t.test('maxUnauthenticatedConnections that no CLI takes is refused up front, naming the option and the value', async (t) => {
  for (const v of [0, -3, 1.5]) {
    await t.rejects(LocalCluster.start({ nWorkers: 1, maxUnauthenticatedConnections: v }), {
      name: 'RangeError', message: new RegExp(`^LocalCluster: maxUnauthenticatedConnections must be an integer from 1 to 1000000, got "${String(v).replace('.', '\\.')}"$`),
    }, String(v));
  }
});
