/**
 * `gluon-h4l download`: fetches the real 4-lepton files from the CERN Open Data portal (or any
 * base URL with the same layout). Resumable: a partial `<file>.part` continues with an HTTP
 * Range request; every file is verified against the size the server reports before it is
 * renamed into place. A server that sends nothing for `timeoutMs` is given up on; a failure says
 * its cause (DNS, refused, TLS, …); no directory is created before a file's bytes arrive.
 */
import { mkdir, stat, rename, open } from 'node:fs/promises';
import path from 'node:path';
import { samplesFor } from './dataset.js';
import { describeFetchError } from './errors.js';

export const OPENDATA_BASE_URL = 'https://atlas-opendata.web.cern.ch/atlas-opendata/samples/2020/4lep/';

export interface DownloadOptions {
  dest: string;
  baseUrl?: string;
  /**
   * Whose files (default notebook): `notebook`, the 4 data periods and its 8 MC samples;
   * `framework`, every 4-lepton file of the framework's sample list (its two-lepton samples
   * belong to another release and are not fetched).
   */
  selection?: 'notebook' | 'framework';
  /** Relative file names; overrides `selection`. */
  files?: string[];
  /** Give up when the server sends nothing (headers or body bytes) for this long; default 60 s. */
  timeoutMs?: number;
  log?: (s: string) => void;
  fetchImpl?: typeof fetch;
}

export interface DownloadedFile { file: string; bytes: number; status: 'downloaded' | 'resumed' | 'up-to-date' }

/** The relative file names a selection needs from the 4-lepton release. */
export function downloadList(selection: 'notebook' | 'framework'): string[] {
  return samplesFor(selection).filter((s) => !s.twoLep).map((s) => s.file);
}

async function sizeOf(p: string): Promise<number> {
  try { return (await stat(p)).size; } catch { return -1; }
}

class NoResponseError extends Error { override name = 'NoResponseError'; }

/**
 * An AbortController that fires when `kick()` has not been called for `ms`: an idle timeout for
 * a request's headers and each of its body's chunks.
 */
function idleTimeout(ms: number): { signal: AbortSignal; kick(): void; done(): void } {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(new NoResponseError(`the server sent nothing for ${+(ms / 1000).toFixed(2)} s`)), ms);
  };
  kick();
  return { signal: ctl.signal, kick, done: () => clearTimeout(timer) };
}

/** Downloads (or completes) every file; throws naming the URL and the reason on failure. */
export async function download(o: DownloadOptions): Promise<DownloadedFile[]> {
  const base = (o.baseUrl ?? OPENDATA_BASE_URL).replace(/\/*$/, '/');
  const names = o.files ?? downloadList(o.selection ?? 'notebook');
  const f = o.fetchImpl ?? fetch;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const out: DownloadedFile[] = [];
  for (const name of names) {
    const url = base + name;
    const target = path.join(o.dest, name), part = `${target}.part`;
    const idle = idleTimeout(timeoutMs);
    // The abort reason (our NoResponseError) is what a timed-out fetch or body read rejects with.
    const request = async (init: RequestInit, what: string) => {
      try { return await f(url, { ...init, signal: idle.signal }); } catch (e) {
        throw new Error(`${url}: ${what} (${describeFetchError(e)})`);
      }
    };
    try {
      const head = await request({ method: 'HEAD' }, 'unreachable');
      if (!head.ok) throw new Error(`${url}: HTTP ${head.status} ${head.statusText}`);
      const total = Number(head.headers.get('content-length'));
      if (!Number.isFinite(total) || total <= 0) throw new Error(`${url}: the server did not report the file size`);
      if ((await sizeOf(target)) === total) { out.push({ file: target, bytes: total, status: 'up-to-date' }); o.log?.(`up to date: ${target}`); continue; }
      let have = Math.max(0, await sizeOf(part));
      if (have > total) have = 0;
      idle.kick();
      const res = await request(have > 0 ? { headers: { Range: `bytes=${have}-` } } : {}, 'request failed; run again to resume');
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
      const resumed = have > 0 && res.status === 206;
      if (!resumed) have = 0;  // the server ignored the range: start over
      // Directories only now, with bytes on their way: a failed download leaves no empty Data/.
      await mkdir(path.dirname(target), { recursive: true });
      const fh = await open(part, resumed ? 'a' : 'w');
      let got = have;
      try {
        if (!res.body) throw new Error('empty response body');
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          idle.kick();
          await fh.write(chunk);
          got += chunk.byteLength;
        }
      } catch (e) {
        throw new Error(`${url}: interrupted after ${got} of ${total} bytes (${describeFetchError(idle.signal.aborted ? idle.signal.reason : e)}); run again to resume`);
      } finally {
        await fh.close();
      }
      const size = await sizeOf(part);
      if (size !== total) throw new Error(`${url}: got ${size} bytes but the server reports ${total}; run again to resume`);
      await rename(part, target);
      out.push({ file: target, bytes: total, status: resumed ? 'resumed' : 'downloaded' });
      o.log?.(`${resumed ? 'resumed' : 'downloaded'}: ${target} (${total} bytes)`);
    } finally {
      idle.done();
    }
  }
  return out;
}
