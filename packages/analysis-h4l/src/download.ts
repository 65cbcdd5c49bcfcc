/**
 * `gluon-h4l download`: fetches the real 4-lepton files from the CERN Open Data portal (or any
 * base URL with the same layout). Resumable: a partial `<file>.part` continues with an HTTP
 * Range request; every file is verified against the size the server reports before it is
 * renamed into place.
 */
import { mkdir, stat, rename, open } from 'node:fs/promises';
import path from 'node:path';
import { SAMPLES_A } from './samples.js';

export const OPENDATA_BASE_URL = 'https://atlas-opendata.web.cern.ch/atlas-opendata/samples/2020/4lep/';

export interface DownloadOptions {
  dest: string;
  baseUrl?: string;
  /** Relative file names; default: the 4 data periods and the 8 MC samples of selection A. */
  files?: string[];
  log?: (s: string) => void;
  fetchImpl?: typeof fetch;
}

export interface DownloadedFile { file: string; bytes: number; status: 'downloaded' | 'resumed' | 'up-to-date' }

async function sizeOf(p: string): Promise<number> {
  try { return (await stat(p)).size; } catch { return -1; }
}

/** Downloads (or completes) every file; throws naming the URL and the reason on failure. */
export async function download(o: DownloadOptions): Promise<DownloadedFile[]> {
  const base = (o.baseUrl ?? OPENDATA_BASE_URL).replace(/\/*$/, '/');
  const names = o.files ?? SAMPLES_A.map((s) => s.file);
  const f = o.fetchImpl ?? fetch;
  const out: DownloadedFile[] = [];
  for (const name of names) {
    const url = base + name;
    const target = path.join(o.dest, name), part = `${target}.part`;
    await mkdir(path.dirname(target), { recursive: true });
    let head: Response;
    try { head = await f(url, { method: 'HEAD' }); } catch (e) {
      throw new Error(`download ${url}: unreachable (${e instanceof Error ? e.message : e})`);
    }
    if (!head.ok) throw new Error(`download ${url}: HTTP ${head.status} ${head.statusText}`);
    const total = Number(head.headers.get('content-length'));
    if (!Number.isFinite(total) || total <= 0) throw new Error(`download ${url}: the server did not report the file size`);
    if ((await sizeOf(target)) === total) { out.push({ file: target, bytes: total, status: 'up-to-date' }); o.log?.(`up to date: ${target}`); continue; }
    let have = Math.max(0, await sizeOf(part));
    if (have > total) have = 0;
    let res: Response;
    try { res = await f(url, have > 0 ? { headers: { Range: `bytes=${have}-` } } : {}); } catch (e) {
      throw new Error(`download ${url}: request failed (${e instanceof Error ? e.message : e}); run again to resume`);
    }
    if (!res.ok) throw new Error(`download ${url}: HTTP ${res.status} ${res.statusText}`);
    const resumed = have > 0 && res.status === 206;
    if (!resumed) have = 0;  // the server ignored the range: start over
    const fh = await open(part, resumed ? 'a' : 'w');
    let got = have;
    try {
      if (!res.body) throw new Error('empty response body');
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        got += chunk.byteLength;
      }
    } catch (e) {
      throw new Error(`download ${url}: interrupted after ${got} of ${total} bytes (${e instanceof Error ? e.message : e}); run again to resume`);
    } finally {
      await fh.close();
    }
    const size = await sizeOf(part);
    if (size !== total) throw new Error(`download ${url}: got ${size} bytes but the server reports ${total}; run again to resume`);
    await rename(part, target);
    out.push({ file: target, bytes: total, status: resumed ? 'resumed' : 'downloaded' });
    o.log?.(`${resumed ? 'resumed' : 'downloaded'}: ${target} (${total} bytes)`);
  }
  return out;
}
