import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Outcome } from './fuzz-read.js';

/** How one file read in the child ended. */
export interface Result {
  outcome: Outcome | 'read';
  /** For `read`: the digest of everything read. */
  digest?: string;
  message?: string;
  stack?: string;
  /** RSS above the child's RSS before the read, at the highest sample (bytes). */
  grew: number;
}

const CHILD = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Reads files in a child process, one at a time, each under a time bound and an RSS bound: a read
 * past either has its child killed (and a fresh one started for the next read), so a hang or a
 * blow-up is recorded as such instead of stopping the fuzzer. The bounds are hang and blow-up
 * detectors, not speed targets: generous on a loaded machine.
 */
export class FuzzRunner {
  private child: ChildProcess | null = null;
  private baseRss = 0;
  private nextId = 1;
  /** Children started (the first, and one after each kill or crash). */
  starts = 0;

  private async ensure(): Promise<ChildProcess> {
    if (this.child) return this.child;
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.starts++;
    child.stderr!.resume();
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: { rss: number }) => { this.baseRss = m.rss; resolve(); });
      child.once('exit', (code) => reject(new Error(`the fuzzer's reading process exited (${code}) before it was ready`)));
    });
    child.removeAllListeners('exit');
    this.child = child;
    return child;
  }

  /** Reads `path` whole in the child; `timeoutMs` and `maxGrowth` (bytes above its RSS before) bound it. */
  async read(path: string, timeoutMs: number, maxGrowth: number): Promise<Result> {
    const child = await this.ensure();
    const id = this.nextId++;
    const before = this.baseRss;
    let peak = before;
    return new Promise<Result>((resolve) => {
      const done = (r: Result, kill: boolean) => {
        clearInterval(poll);
        clearTimeout(timer);
        child.removeListener('message', onMessage);
        child.removeListener('exit', onExit);
        if (kill) {
          child.removeAllListeners();
          child.kill('SIGKILL');
          this.child = null;
        }
        resolve(r);
      };
      const onMessage = (m: { id: number; digest?: string; outcome?: Outcome; message?: string; stack?: string; rss: number; peak: number }) => {
        if (m.id !== id) return;
        // The child's own peak (VmHWM, reset before the read) sees what a 10 ms sample can miss.
        peak = Math.max(peak, m.rss, m.peak);
        if (peak - before > maxGrowth) {
          this.baseRss = m.rss;
          done({ outcome: 'memory', message: `RSS peaked ${((peak - before) / 2 ** 20).toFixed(0)} MiB above its start (bound ${(maxGrowth / 2 ** 20).toFixed(0)} MiB); the read itself ended ${m.digest ? 'with every value' : `in ${m.message}`}`, grew: peak - before }, false);
          return;
        }
        // A read's garbage stays in the heap: the next read is measured from where this one left it.
        this.baseRss = m.rss;
        done(m.digest !== undefined ? { outcome: 'read', digest: m.digest, grew: peak - before } : { outcome: m.outcome!, message: m.message, stack: m.stack, grew: peak - before }, false);
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = null;
        done({ outcome: 'crash', message: `the reading process exited (${signal ?? code})`, grew: peak - before }, false);
      };
      const poll = setInterval(() => {
        peak = Math.max(peak, rssOf(child.pid!));
        if (peak - before > maxGrowth) done({ outcome: 'memory', message: `RSS grew ${((peak - before) / 2 ** 20).toFixed(0)} MiB (bound ${(maxGrowth / 2 ** 20).toFixed(0)} MiB)`, grew: peak - before }, true);
      }, 10);
      const timer = setTimeout(() => done({ outcome: 'hang', message: `no answer within ${timeoutMs} ms`, grew: peak - before }, true), timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, path, metadataTimeoutMs: timeoutMs * 10 });
    });
  }

  close(): void {
    this.child?.removeAllListeners();
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}
