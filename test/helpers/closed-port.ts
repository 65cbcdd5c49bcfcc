/**
 * A TCP port on 127.0.0.1 that nothing listens on, for a test that needs its connections refused.
 *
 * Port 2 (compressnet, long unused): outside the kernel's ephemeral range, so no process's
 * `listen(0)` is given it and no outgoing connection takes it as its own port; only a program
 * that asks for port 2 by number could listen there. Not port 1: the Fetch standard blocks it
 * (with 7, 9, 6000, 10080 and more), so a fetch to it fails as "bad port" before any connection. The tests took a port from a listener on port 0 and
 * closed it: on a machine shared by several test runs another process's `listen(0)` may be given
 * that port next, and a client dialling a port in the ephemeral range again and again may be
 * given it as its own local port and connect to itself (a TCP self-connect). A socket that holds
 * the port without listening is no way out: Node has none for TCP (bind comes with listen or
 * connect), and Linux lets another SO_REUSEADDR listener bind beside a socket that is not
 * listening. Privilege is no part of the reason: CI runs as root, and containers often let
 * anyone bind low ports (ip_unprivileged_port_start 0).
 *
 * A test that needs a port to start a server on has the server listen on port 0 and reads the
 * port back instead: nothing is free between choosing the port and listening on it.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** The port: see the file's comment for why this one. */
export const CLOSED_PORT = 2;

/**
 * CLOSED_PORT, once checked: outside the ephemeral range (read from /proc where there is one)
 * and refusing a connection now. Otherwise it throws saying which, rather than have a test fail
 * on a refusal that never came.
 */
export async function closedPort(): Promise<number> {
  let range: string | undefined;
  try { range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'); } catch { /* not Linux: the range is above 1024 everywhere */ }
  const [low, high] = (range ?? '').trim().split(/\s+/).map(Number);
  if (low !== undefined && high !== undefined && low <= CLOSED_PORT && CLOSED_PORT <= high) {
    throw new Error(`port ${CLOSED_PORT} lies in this machine's ephemeral range (${low}-${high}): it may be given to any listen(0)`);
  }
  const code = await new Promise<string | undefined>((resolve) => {
    const sock = connect(CLOSED_PORT, '127.0.0.1');
    sock.on('connect', () => { sock.destroy(); resolve(undefined); });
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
  if (code !== 'ECONNREFUSED') throw new Error(`127.0.0.1:${CLOSED_PORT} ${code ? `failed with ${code}` : 'accepted a connection'}, not refused: the tests take it for a port nothing listens on`);
  return CLOSED_PORT;
}
