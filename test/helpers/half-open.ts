import net from 'node:net';

/**
 * Sends `request` to 127.0.0.1:`port` on a connection that keeps its own side open when the
 * server closes its side (half-open, as a peer may), and resolves with the server's answer once
 * the server has let the connection go for good: after the server's FIN, one byte is written
 * every 50 ms, which the server's kernel refuses (a reset: ECONNRESET or EPIPE) once the socket
 * is closed there. Rejects when it is still open after `ms`: a server that only ends its side
 * holds the descriptor for as long as the peer keeps its own open. Generous by default (a loaded
 * machine); the server closes within milliseconds of its answer.
 */
export function answeredAndDropped(port: number, request: string, ms = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(request));
    let answer = '';
    let poke: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      clearInterval(poke);
      socket.destroy();
      reject(new Error(`the server still held the connection ${Math.round(ms / 1000)} s after its answer ${JSON.stringify(answer.split('\r\n')[0])}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      clearInterval(poke);
      socket.destroy();
      resolve(answer);
    };
    socket.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
    // Its FIN: from now on, a write tells whether the server still holds the socket.
    socket.on('end', () => { poke = setInterval(() => { if (!socket.destroyed) socket.write('x'); }, 50); });
    socket.on('error', done);
    socket.on('close', done);
  });
}
