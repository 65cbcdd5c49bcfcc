import type { Duplex } from 'node:stream';

/**
 * Writes `answer` (a whole HTTP response) to a socket that Node's HTTP server no longer looks
 * after (an upgrade request it handed over, a connection sniffed before TLS) and closes it for
 * good: destroyed once the answer is handed to the kernel (as ws closes an upgrade it refuses),
 * or after `ms` when it never is (a peer that reads nothing). `socket.end()` alone closed this
 * side only: a peer that kept its own side open (half-open, as HTTP sockets allow) held the
 * descriptor for ever, one per refused request, with no token needed to send one.
 */
export function answerAndClose(socket: Duplex, answer: string, ms = 10_000): void {
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(answer, () => socket.destroy());
}
