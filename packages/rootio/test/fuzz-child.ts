import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { classify, readAllDigest } from './fuzz-read.js';

/**
 * The fuzzer's reading process (test/fuzz-runner.ts starts it): reads every file it is sent in
 * full and answers with the digest or the error's class, and its RSS, so that a read that hangs
 * or blows up memory kills this process, not the fuzzer.
 */
const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
const rss = () => status('VmRSS');
/** Resets VmHWM (Linux does on "5" to clear_refs) so it is the peak of the next read; false where it cannot. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

// Damaged files make some decoders narrate on the console; the answers are what counts.
console.log = console.warn = console.error = () => {};

/**
 * How files are read (ROOTIO_FUZZ_VIA, which bench/rootio-fuzz.ts --via sets): `local`, `threads`
 * (decompressThreads 2: baskets decompressed on a worker thread, errors raised by the reader), or
 * `http` (from a loopback server in this process, with Range support, so every read goes through
 * HttpSource's ranges and coalescing).
 */
const via = process.env.ROOTIO_FUZZ_VIA ?? 'local';
const opts = via === 'threads' ? { decompressThreads: 2 } : {};
let base = '';
if (via === 'http') {
  const server = createServer((req, res) => {
    let body: Uint8Array;
    try {
      body = readFileSync(decodeURIComponent(req.url!));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const r = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!r) return void res.writeHead(200, { 'content-length': body.length }).end(body);
    const a = Number(r[1]);
    const z = Math.min(Number(r[2]), body.length - 1);
    if (a >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    res.writeHead(206, { 'content-range': `bytes ${a}-${z}/${body.length}`, 'content-length': z - a + 1 }).end(body.subarray(a, z + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
} else if (via !== 'local' && via !== 'threads') throw new Error(`ROOTIO_FUZZ_VIA=${via}: local, threads or http`);

process.on('message', (m: { id: number; path: string; metadataTimeoutMs: number }) => {
  void (async () => {
    const peak = () => (canPeak ? status('VmHWM') : rss());
    const canPeak = resetPeak();
    try {
      const digest = await readAllDigest(base ? base + encodeURI(resolve(m.path)) : m.path, m.metadataTimeoutMs, opts);
      process.send!({ id: m.id, digest, rss: rss(), peak: peak() });
    } catch (err) {
      const e = err as Error;
      process.send!({ id: m.id, outcome: classify(err, m.path), message: `${e?.name}: ${e?.message}`, stack: ((e?.cause as Error | undefined)?.stack ?? e?.stack)?.split('\n').slice(0, 5).join(' | '), rss: rss(), peak: peak() });
    }
  })();
});
process.send!({ ready: true, rss: rss() });
