/**
 * TLS on a protocol listener: wss:// with the cluster's CA, mutual TLS, and every mismatch a
 * user can make failing at once with a message that says which one it is. Certificates are
 * made with openssl into a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { answeredAndDropped } from '../../../../test/helpers/half-open.js';
import {
  CloseCode, connect, HandshakeError, listen, loadTlsFiles, makeCa, makeCert, readTlsMaterial, type CertFiles, type Listener, type TlsOptions,
} from '@gluon/protocol';

const dir = mkdtempSync(join(tmpdir(), 'gluon-tls-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

let ca: CertFiles;
let otherCa: CertFiles;
const leaf: Record<string, TlsOptions> = {};
const files: Record<string, CertFiles> = {};

t.before(async () => {
  ca = await makeCa(dir, 'ca');
  otherCa = await makeCa(dir, 'other-ca');
  files.node = await makeCert(dir, ca, 'node', ['127.0.0.1', 'localhost']);
  files.misnamed = await makeCert(dir, ca, 'misnamed', ['other.example']);
  files.expired = await makeCert(dir, ca, 'expired', ['127.0.0.1'], -1);
  files.stranger = await makeCert(dir, otherCa, 'stranger', ['127.0.0.1']);
  for (const [name, f] of Object.entries(files)) leaf[name] = readTlsMaterial({ cert: f.cert, key: f.key, ca: ca.cert });
});

/** A TLS listener serving get-data (with nothing stored) to peers; closed after the test. */
async function server(t: Test, tls: TlsOptions): Promise<Listener> {
  const l = await listen({
    self: 'scheduler', roles: ['peer'], tls, log: () => {},
    onConnection: (c) => c.on('message', (m) => c.reply(m, { op: 'data', data: {}, missing: m.keys as string[] })),
  });
  t.teardown(() => l.close());
  return l;
}

/** connect() that must fail: resolves with its error, bounded generously so nothing hangs. */
async function refused(url: string, opts: Parameters<typeof connect>[2] = {}): Promise<HandshakeError> {
  const err = await connect(url, { role: 'peer' }, { timeoutMs: 120_000, log: () => {}, ...opts }).then(({ conn }) => {
    conn.close();
    return null;
  }, (e: unknown) => e);
  if (!(err instanceof HandshakeError)) throw new Error(`expected a HandshakeError, got ${String(err)}`);
  return err;
}


t.test('wss:// with the cluster\'s CA works; the address says wss', async (t) => {
  const l = await server(t, leaf.node!);
  t.match(l.address, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const { conn } = await connect(l.address, { role: 'peer' }, { tls: { ca: leaf.node!.ca! } });
  t.same((await conn.request({ op: 'get-data', keys: ['k-1'] }, 120_000)).missing, ['k-1']);
  conn.close();
});

t.test('over TLS a large message leaves in pieces of at most 1 MiB, arriving whole; over plain ws in one frame', async (t) => {
  // Node keeps a buffer sized to a TLS socket's largest write for the connection's life: a 64 MiB
  // argument sent to a worker held 65 MiB of the scheduler's RSS until the worker left.
  for (const tls of [true, false]) {
    const frames: number[] = [];
    let got!: (m: Record<string, unknown>) => void;
    const arrived = new Promise<Record<string, unknown>>((r) => { got = r; });
    const l = await listen({
      self: 'scheduler', roles: ['peer'], log: () => {}, ...(tls ? { tls: leaf.node! } : {}),
      onConnection: (c) => {
        c.ws.on('message', (data: Buffer) => frames.push(data.length));
        c.on('message', (m) => got(m as Record<string, unknown>));
      },
    });
    t.teardown(() => l.close());
    const { conn } = await connect(l.address, { role: 'peer' }, { log: () => {}, ...(tls ? { tls: { ca: leaf.node!.ca! } } : {}) });
    const value = new Uint8Array(8 * 1024 * 1024).map((_, i) => i % 251);
    conn.send({ op: 'get-data', id: 1, keys: ['k-1'], pad: value });
    const m = await arrived;
    t.same(Buffer.from(m.pad as Uint8Array).equals(Buffer.from(value)), true, `${tls ? 'TLS' : 'plain'}: arrives whole`);
    if (tls) t.ok(frames.length > 8 && Math.max(...frames) <= 1024 * 1024, `TLS: ${frames.length} frames, the largest ${Math.max(...frames)} bytes`);
    else t.same(frames.length, 1, `plain: one frame (${frames[0]} bytes)`);
    conn.close();
  }
});

t.test('each mismatch fails with a message naming it (code 4008)', async (t) => {
  const good = await server(t, leaf.node!);
  const plain = await refused(good.address.replace('wss:', 'ws:'));
  t.equal(plain.code, CloseCode.tls);
  t.equal(plain.message, `plain connection to a TLS listener: ${good.address.replace('wss:', 'ws:')} speaks TLS; connect with ${good.address}`);

  const unknown = await refused(good.address, { tls: { ca: readTlsMaterial({ ca: otherCa.cert }).ca! } });
  t.equal(unknown.code, CloseCode.tls);
  t.match(unknown.message, /^unknown CA: the certificate of wss:\/\/127\.0\.0\.1:\d+ is not signed by a CA this side trusts; give the cluster's CA \(--tls-ca, or tls\.ca\)/);
  const system = await refused(good.address);
  t.match(system.message, /^unknown CA: /, 'no CA given: the system\'s CAs do not know ours');

  const expired = await server(t, leaf.expired!);
  const exp = await refused(expired.address, { tls: { ca: leaf.node!.ca! } });
  t.equal(exp.code, CloseCode.tls);
  t.match(exp.message, /^expired certificate: the certificate of wss:\/\/\S+ has expired; renew it \[CERT_HAS_EXPIRED\]$/);

  const misnamed = await server(t, leaf.misnamed!);
  const name = await refused(misnamed.address, { tls: { ca: leaf.node!.ca! } });
  t.equal(name.code, CloseCode.tls);
  t.match(name.message, /^wrong host name: the certificate of wss:\/\/127\.0\.0\.1:\d+ does not name 127\.0\.0\.1 \(it names DNS:other\.example\); connect by a name/);

  const plainServer = await listen({ self: 'scheduler', roles: ['peer'], log: () => {}, onConnection: (c) => c.close() });
  t.teardown(() => plainServer.close());
  const notTls = await refused(plainServer.address.replace('ws:', 'wss:'), { tls: { ca: leaf.node!.ca! } });
  t.equal(notTls.code, CloseCode.tls);
  t.match(notTls.message, /^not a TLS listener: wss:\/\/\S+ does not speak TLS; connect with ws:\/\//);
});

t.test('a plain-text request on a TLS port is answered and its connection closed for good, even when the peer keeps its side open', async (t) => {
  // The answer used to end only the listener's side: each such request from a peer that kept its
  // own open (no certificate or token needed) held a file descriptor for ever.
  const l = await server(t, leaf.node!);
  const answer = await answeredAndDropped(l.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${l.port}\r\n\r\n`);
  t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\nGluon-Requires: tls\r\n[^]*speaks TLS on this port: connect with wss:\/\//, 'answered 400, naming TLS');
});

t.test('a dialler that does not trust the listener\'s certificate: the listener\'s log names its address and the likely cause', async (t) => {
  // A worker without the cluster's CA (or dialling a name the certificate lacks) gives up during
  // the handshake; the scheduler logged only `dropped a malformed connection from ?: ECONNRESET
  // socket hang up`, naming neither who nor why (found by the across-hosts trial).
  const lines: string[] = [];
  let heard!: () => void;
  const logged = new Promise<void>((r) => { heard = r; });
  const l = await listen({
    self: 'scheduler', roles: ['peer'], tls: leaf.node!, onConnection: (c) => c.close(),
    log: (line) => { lines.push(line); if (/during its handshake/.test(line)) heard(); },
  });
  t.teardown(() => l.close());
  const e = await refused(l.address, { tls: { ca: readTlsMaterial({ ca: otherCa.cert }).ca! } });
  t.match(e.message, /^unknown CA: /);
  await Promise.race([logged, new Promise((_, no) => setTimeout(() => no(new Error(`no handshake line in ${JSON.stringify(lines)}`)), 120_000).unref())]);
  const line = lines.find((x) => /during its handshake/.test(x))!;
  t.match(line, /^dropped a TLS connection from 127\.0\.0\.1:\d+ during its handshake: /, 'names the address and port it came from');
  t.match(line, /most likely because it does not trust this scheduler's certificate \(its --tls-ca is not the CA that signed this scheduler's --tls-cert, or it dialled a name or address the certificate does not list; its own error says which\)$/);
  t.notMatch(lines.join('\n'), /from \?/);
});

t.test('a dialler of the other scheme (ws:// to TLS, wss:// to plain): the listener\'s log names its address and what to change', async (t) => {
  // Found by the hosts trial: a TLS scheduler logged nothing of a client or worker that dialled
  // ws://, and a plain one logged a wss:// dialler as `dropped a malformed connection from
  // 10.201.0.100:55526: HPE_INVALID_METHOD Parse Error: Invalid method encountered`.
  const lines: string[] = [];
  let heard!: () => void;
  let wanted = 0;
  const logged = new Promise<void>((r) => { heard = r; });
  const log = (line: string) => { lines.push(line); if (/dialled/.test(line) && ++wanted === 2) heard(); };
  const tlsPort = await listen({ self: 'scheduler', roles: ['peer'], tls: leaf.node!, log, onConnection: (c) => c.close() });
  const plainPort = await listen({ self: 'scheduler', roles: ['peer'], log, onConnection: (c) => c.close() });
  t.teardown(() => Promise.all([tlsPort.close(), plainPort.close()]));
  t.match((await refused(tlsPort.address.replace('wss:', 'ws:'))).message, /^plain connection to a TLS listener: /);
  t.match((await refused(plainPort.address.replace('ws:', 'wss:'), { tls: { ca: leaf.node!.ca! } })).message, /^not a TLS listener: /);
  await Promise.race([logged, new Promise((_, no) => setTimeout(() => no(new Error(`not both lines in ${JSON.stringify(lines)}`)), 120_000).unref())]);
  t.match(lines.join('\n'), /^refused a plain connection from 127\.0\.0\.1:\d+: it dialled ws:\/\/, but this scheduler's port speaks TLS: the other side must dial wss:\/\/, trusting the CA that signed this scheduler's --tls-cert \(--tls-ca, or tls\.ca\)$/m);
  t.match(lines.join('\n'), /^dropped a TLS connection from 127\.0\.0\.1:\d+: it dialled wss:\/\/, but this scheduler's port speaks plain ws:\/\/ \(started without --tls-cert\): the other side must dial ws:\/\/, or this scheduler be started with --tls-cert and --tls-key$/m);
  t.notMatch(lines.join('\n'), /malformed|from \?/);
});

t.test('mutual TLS: no certificate, a stranger\'s, an expired one are refused; the cluster\'s is served', async (t) => {
  const l = await server(t, { ...leaf.node!, requireClientCert: true });
  const none = await refused(l.address, { tls: { ca: leaf.node!.ca! } });
  t.equal(none.code, CloseCode.tls);
  t.match(none.message, /^client certificate required: wss:\/\/\S+: scheduler requires a certificate signed by its CA \(--tls-cert and --tls-key, or tls\.cert and tls\.key\)$/);
  const stranger = await refused(l.address, { tls: { ...leaf.stranger!, ca: leaf.node!.ca! } });
  t.equal(stranger.code, CloseCode.tls);
  t.match(stranger.message, /^client certificate from an unknown CA: wss:\/\/\S+: scheduler accepts only certificates signed by its --tls-ca/);
  const old = await refused(l.address, { tls: leaf.expired! });
  t.match(old.message, /^client certificate expired: wss:\/\/\S+: scheduler refused this side's certificate because it has expired \[CERT_HAS_EXPIRED\]$/);
  const { conn, welcome } = await connect(l.address, { role: 'peer' }, { tls: leaf.node! });
  t.same([welcome.clientCertRequired, welcome.tokenRequired], [true, false], 'its welcome says it required the certificate (protocol 22)');
  t.equal((await conn.request({ op: 'get-data', keys: [] }, 120_000)).op, 'data', 'a peer with the cluster\'s certificate is served');
  conn.close();
});

t.test('mutual TLS: a certificate of the right CA without clientAuth is refused saying so, not as "unknown CA"', async (t) => {
  // A server-only certificate (extendedKeyUsage=serverAuth), as a site CA may issue by default.
  const ext = join(dir, 'server-only.ext');
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');
  const key = join(dir, 'server-only.key');
  const csr = join(dir, 'server-only.csr');
  const cert = join(dir, 'server-only.pem');
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=server-only'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert], { stdio: 'ignore' });
  const l = await server(t, { ...leaf.node!, requireClientCert: true });
  const e = await refused(l.address, { tls: readTlsMaterial({ cert, key, ca: ca.cert }) });
  t.equal(e.code, CloseCode.tls);
  t.match(e.message, /^client certificate not for client use: wss:\/\/\S+: scheduler refused this side's certificate: its extendedKeyUsage lacks clientAuth \(reissue it with extendedKeyUsage=serverAuth,clientAuth\) \[INVALID_PURPOSE\]$/);
});

t.test('loadTlsFiles: each mistake is named with its flag and file', async (t) => {
  const f = files.node!;
  t.same(loadTlsFiles({}), undefined);
  const ok = loadTlsFiles({ cert: f.cert, key: f.key, ca: ca.cert, requireClientCert: true })!;
  t.ok(Buffer.isBuffer(ok.cert) && Buffer.isBuffer(ok.key) && Buffer.isBuffer(ok.ca));
  t.equal(ok.requireClientCert, true);
  t.throws(() => loadTlsFiles({ cert: f.cert }), /--tls-cert and --tls-key go together/);
  t.throws(() => loadTlsFiles({ cert: f.cert, key: f.key, requireClientCert: true }), /--require-client-cert needs --tls-ca/);
  t.throws(() => loadTlsFiles({ cert: f.cert, key: files.misnamed!.key }), new RegExp(`--tls-key \\S+misnamed\\.key is not the key of --tls-cert \\S+node\\.pem`));
  t.throws(() => loadTlsFiles({ cert: files.expired!.cert, key: files.expired!.key }), /--tls-cert \S+expired\.pem expired on /);
  t.throws(() => loadTlsFiles({ cert: join(dir, 'nope.pem'), key: f.key }), /--tls-cert \S+nope\.pem: cannot read it \(ENOENT\)/);
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
  t.throws(() => loadTlsFiles({ ca: join(dir, 'junk.pem') }), /--tls-ca \S+junk\.pem: no PEM certificate in it/);
  t.throws(() => loadTlsFiles({ cert: join(dir, 'junk.pem'), key: f.key }), /--tls-cert \S+junk\.pem: not a PEM certificate/);
  t.throws(() => readTlsMaterial({ ca: join(dir, 'nope.pem') }, 'Client.connect: tls'), /Client\.connect: tls\.ca \S+nope\.pem: cannot read it \(ENOENT\)/);
  // API callers' files get the CLIs' checks: before, these failed in the handshake with OpenSSL's
  // words alone ('key values mismatch', 'PEM routines::no start line'), naming no field or file.
  const api = 'Client.connect: tls';
  t.throws(() => readTlsMaterial({ cert: f.cert, key: files.misnamed!.key }, api), new RegExp(`^Client\\.connect: tls\\.key \\S+misnamed\\.key is not the key of tls\\.cert \\S+node\\.pem$`));
  t.throws(() => readTlsMaterial({ cert: f.key, key: f.cert }, api), /^Client\.connect: tls\.cert \S+node\.key: not a PEM certificate/);
  t.throws(() => readTlsMaterial({ cert: f.cert, key: f.cert }, api), /^Client\.connect: tls\.key \S+node\.pem: not a PEM private key/);
  t.throws(() => readTlsMaterial({ cert: readFileSync(f.cert), key: readFileSync(files.misnamed!.key) }, api), /^Client\.connect: tls\.key \(PEM text\) is not the key of tls\.cert \(PEM text\)$/);
  t.throws(() => readTlsMaterial({ cert: f.cert }, api), /^Client\.connect: tls\.cert and tls\.key go together/);
  t.throws(() => readTlsMaterial({ ca: join(dir, 'junk.pem') }, api), /^Client\.connect: tls\.ca \S+junk\.pem: no PEM certificate in it$/);
  t.doesNotThrow(() => readTlsMaterial({ cert: f.cert, key: f.key, ca: ca.cert }, api), 'a matching pair and a CA pass');
});

t.test('a host\'s own certificate given where the CA belongs is named at start, not met as "unknown CA" in every handshake', async (t) => {
  const f = files.node!;
  const slip = new RegExp(`^--tls-ca \\S+node\\.pem holds no CA certificate: it holds CN=node's certificate, issued by CN=Gluon temporary CA ca, `
    + `which is not a CA's \\(its basicConstraints lack CA:TRUE\\) and so verifies no peer; give the certificate of the CA that issued it \\(CN=Gluon temporary CA ca\\)$`);
  t.throws(() => loadTlsFiles({ cert: f.cert, key: f.key, ca: f.cert, requireClientCert: true }), slip);
  t.throws(() => readTlsMaterial({ ca: f.cert }, 'Client.connect: tls'), /^Client\.connect: tls\.ca \S+node\.pem holds no CA certificate: it holds CN=node's certificate/);
  // Two leaves in one file: said of the bundle.
  writeFileSync(join(dir, 'two-leaves.pem'), readFileSync(f.cert, 'utf8') + readFileSync(files.misnamed!.cert, 'utf8'));
  t.throws(() => loadTlsFiles({ ca: join(dir, 'two-leaves.pem') }), /--tls-ca \S+two-leaves\.pem holds no CA certificate: its 2 certificates \(the first CN=node's, issued by CN=Gluon temporary CA ca\) are not CAs'/);
  // A bundle with a CA among leaves passes, and so does a self-signed certificate (trusting it pins it).
  writeFileSync(join(dir, 'leaf-and-ca.pem'), readFileSync(f.cert, 'utf8') + readFileSync(ca.cert, 'utf8'));
  t.doesNotThrow(() => loadTlsFiles({ ca: join(dir, 'leaf-and-ca.pem') }));
  const selfKey = join(dir, 'self.key');
  const self = join(dir, 'self.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', selfKey, '-out', self, '-days', '2',
    '-subj', '/CN=pinned', '-addext', 'basicConstraints=CA:FALSE', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  t.doesNotThrow(() => loadTlsFiles({ ca: self }));
  // And a pinned self-signed certificate still works end to end: the check refuses only what verifies nothing.
  const l = await server(t, readTlsMaterial({ cert: self, key: selfKey }));
  const { conn } = await connect(l.address, { role: 'peer' }, { tls: readTlsMaterial({ ca: self }) });
  t.same((await conn.request({ op: 'get-data', keys: ['k-1'] }, 120_000)).missing, ['k-1']);
  conn.close();
});

t.test('beyond loopback, mutual TLS authenticates like a token (no --insecure needed)', async (t) => {
  const { checkExposure } = await import('@gluon/protocol');
  const base = { program: 'gluon-scheduler', flag: '--host', host: '10.0.0.1', token: undefined, insecure: false };
  t.match(checkExposure(base).refuse, /without a token.*or mutual TLS \(--require-client-cert\)/);
  t.same(checkExposure({ ...base, mutualTls: true }), {});
});
