/**
 * One generator at a time per dataset folder. Two at once wrote the same `.partial` files, and
 * the demos' cache was worse: `npm run demo` and `npm run demo:finalstates` started together on a
 * fresh clone each found no dataset, and the second removed the folder the first was writing
 * into (`demo: generating llll: ENOENT … mc_363490.llll.4lep.root.partial`).
 *
 * A lock is a file made with O_EXCL holding its holder's pid and host. A lock whose holder is
 * gone (a kill -9; pid not running on this host) is taken over; a holder on another host (a
 * shared filesystem) cannot be checked, and is named so the user can remove its lock.
 */
import { hostname } from 'node:os';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

interface Holder { pid: number; host: string; since: string; what: string }

/** A lock held by this process: {@link release} it once done (idempotent). */
export interface HeldLock { path: string; release(): void }

/** Who holds `path`, or null when no one does (no lock, or its holder is gone from this host). */
export function lockHolder(path: string): Holder | null {
  let h: Holder;
  try { h = JSON.parse(readFileSync(path, 'utf8')); } catch { return null; } // gone, or cut short by a kill: no holder
  if (!h || typeof h.pid !== 'number') return null;
  if (h.host !== hostname()) return h;
  try { process.kill(h.pid, 0); return h; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' ? h : null; }
}

/** Says who holds a lock, for the messages. */
export function holderText(h: Holder): string {
  return `${h.what} (pid ${h.pid}${h.host !== hostname() ? ` on ${h.host}` : ''}, since ${h.since})`;
}

/** Takes the lock at `path` for `what`, or returns who holds it. */
export function tryLock(path: string, what: string): HeldLock | Holder {
  const mine: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine), { flag: 'wx' });
      let held = true;
      return { path, release: () => { if (held) { held = false; rmSync(path, { force: true }); } } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const other = lockHolder(path);
    if (other) return other;
    rmSync(path, { force: true }); // its holder is gone: take it over
  }
  const other = lockHolder(path);
  if (other) return other;
  throw new Error(`cannot take the lock ${path}: it keeps coming back with no live holder`);
}

/**
 * Takes the lock at `path`, waiting while a live holder has it (polled; the demos' generation
 * takes seconds), at most `maxWaitMs`. `onWait` is told once who it waits for.
 */
export async function waitForLock(path: string, what: string, onWait: (holder: string) => void, maxWaitMs = 30 * 60_000): Promise<HeldLock> {
  const until = Date.now() + maxWaitMs;
  let told = false;
  for (;;) {
    const got = tryLock(path, what);
    if ('release' in got) return got;
    if (!told) { onWait(holderText(got)); told = true; }
    if (Date.now() > until) throw new Error(`waited ${Math.round(maxWaitMs / 60_000)} min for ${holderText(got)} to let go of ${path}; if it is not running, remove that file`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
