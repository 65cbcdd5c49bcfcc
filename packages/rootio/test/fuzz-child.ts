import { readFileSync, writeFileSync } from 'node:fs';
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

process.on('message', (m: { id: number; path: string; metadataTimeoutMs: number }) => {
  void (async () => {
    const peak = () => (canPeak ? status('VmHWM') : rss());
    const canPeak = resetPeak();
    try {
      const digest = await readAllDigest(m.path, m.metadataTimeoutMs);
      process.send!({ id: m.id, digest, rss: rss(), peak: peak() });
    } catch (err) {
      const e = err as Error;
      process.send!({ id: m.id, outcome: classify(err, m.path), message: `${e?.name}: ${e?.message}`, stack: ((e?.cause as Error | undefined)?.stack ?? e?.stack)?.split('\n').slice(0, 5).join(' | '), rss: rss(), peak: peak() });
    }
  })();
});
process.send!({ ready: true, rss: rss() });
