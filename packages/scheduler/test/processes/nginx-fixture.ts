/**
 * The nginx fixture (fixtures/nginx.ts) when its port is taken between being picked and being
 * bound, as another process on a shared machine may take it: nginx comes up on another port, and
 * a fixture that never gets one says which ports it tried.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { freePort, NGINX_PORT_TRIES, nginxSkip, startNginx } from '../fixtures/nginx.js';

const skip = nginxSkip();

/** A listener on a loopback port that accepts connections and never answers: the other process. */
async function squatter(t: Test): Promise<number> {
  const held = new Set<net.Socket>();
  const srv = net.createServer((s) => { held.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { for (const s of held) s.destroy(); srv.close(() => r()); }));
  return (srv.address() as net.AddressInfo).port;
}

t.test('the first port picked is taken by another process: nginx comes up on another one, and it is nginx that answers', { skip }, async (t) => {
  const taken = await squatter(t);
  const picked: number[] = [];
  const pickPort = async () => {
    const port = picked.length === 0 ? taken : await freePort();
    picked.push(port);
    return port;
  };
  const { origin } = await startNginx(t, '      return 200 "through nginx";', '/', { pickPort });
  t.equal(picked[0], taken, 'the fixture was given the taken port first');
  t.not(Number(new URL(origin).port), taken, `and came up on another (tried ${picked.join(', ')})`);
  const res = await fetch(`${origin}/anything`);
  t.equal(await res.text(), 'through nginx', 'the origin it gives is nginx');
});

t.test('every port picked is taken: after a bounded number of tries it says which ports it tried', { skip }, async (t) => {
  const taken = await squatter(t);
  let tries = 0;
  await t.rejects(startNginx(t, '      return 200 "never";', '/', { pickPort: async () => (tries++, taken) }),
    { message: `nginx could not listen: ports ${Array(NGINX_PORT_TRIES).fill(taken).join(', ')} were each taken by another process before nginx bound them` });
  t.equal(tries, NGINX_PORT_TRIES);
});
