/**
 * What run.json records about what ran: the code's git commit, and each input file's size and
 * SHA-256 (cached with the entry counts, by path, size and modification time).
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { ConfigError } from './config.js';
import { fileIdentity, type EntryCache } from './dataset.js';

const run = promisify(execFile);

/** The commit of the git checkout holding `dir`, and whether tracked files differ from it; null outside git. */
export async function gitCommit(dir: string): Promise<{ commit: string; dirty: boolean } | null> {
  try {
    const { stdout } = await run('git', ['-C', dir, 'rev-parse', 'HEAD'], { timeout: 10_000 });
    const status = await run('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { timeout: 10_000 });
    return { commit: stdout.trim(), dirty: status.stdout.trim() !== '' };
  } catch {
    return null;   // no git, or not a checkout (an installed package)
  }
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface InputDigest { file: string; bytes: number | null; sha256: string | null }

/**
 * Size and SHA-256 of each input: local files are hashed once per version (the cache remembers
 * it); a URL gets the size its server reports and no checksum (it is never read whole).
 */
export async function inputDigests(files: string[], cache: EntryCache): Promise<InputDigest[]> {
  const out: InputDigest[] = [];
  for (const file of files) {
    let id: string;
    try { id = await fileIdentity(file); } catch { out.push({ file, bytes: null, sha256: null }); continue; }
    const bytes = Number(id.split('|').at(-2));
    if (/^https?:\/\//i.test(file)) { out.push({ file, bytes: Number.isFinite(bytes) ? bytes : null, sha256: null }); continue; }
    let sha256 = cache.digest(id);
    if (!sha256) { sha256 = await sha256Of(file); cache.setDigest(id, sha256); }
    out.push({ file, bytes, sha256 });
  }
  return out;
}

/**
 * SOURCE_DATE_EPOCH (seconds; the reproducible-builds convention), when set: the creation time
 * written into histograms.root instead of the run's start (gluon-finalstates' ROOT file too).
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): Date | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got ${JSON.stringify(v)}`);
  return new Date(Number(v) * 1000);
}
