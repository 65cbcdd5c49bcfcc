/**
 * The local path a `file:` URL string names. The WHATWG URL parser (Node's `URL`, and
 * `fileURLToPath` through it) makes a `file:` URL without `//` absolute: `file:data/x.root` is
 * `file:///data/x.root` and `file:../x.root` loses its `..`, so a physicist's relative URL was
 * looked for from `/` ("/data/x.root: no such file"). uproot reads such a URL as a path from the
 * working directory, and so does this: what follows `file:` is a relative reference resolved
 * against the working directory (percent escapes decoded, as for any file URL).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Whether `s` is a `file:` URL (the scheme in any case, as URL schemes are). */
export const isFileUrl = (s: string): boolean => /^file:/i.test(s);

/**
 * The path `url` names: `file:///abs/x.root` and `file://localhost/abs/x.root` as Node reads them,
 * `file:data/x.root`, `file:./x.root` and `file:../x.root` from the working directory. A URL naming
 * another host (`file://data/x.root`, which fetch and Node refuse and uproot would read as
 * `data/x.root`) or a path a file URL cannot give is a TypeError of `call` saying which forms work:
 * it failed deep in the open, as damaged metadata ("reading the file header … failed: File URL
 * host must be "localhost" or empty on linux").
 */
export function fileUrlPath(url: string, call: string): string {
  const rest = url.slice('file:'.length);
  try {
    // './' keeps a first segment holding a colon (`file:a:b.root`) from being read as a scheme.
    if (!rest.startsWith('/')) return fileURLToPath(new URL(`./${rest}`, pathToFileURL(`${process.cwd()}/`)));
    const host = /^\/\/([^/?#]*)/.exec(rest)?.[1];
    if (host !== undefined && host !== '' && host.toLowerCase() !== 'localhost') {
      throw new TypeError(`${call}: a file: URL names a file on this machine, so its host must be empty or localhost, not "${host}": ` +
        `give file:///absolute/path.root, or file:${host}${rest.slice(2 + host.length)} (or the plain path) for a path from the working directory`);
    }
    return fileURLToPath(url);
  } catch (err) {
    if (err instanceof TypeError && err.message.startsWith(call)) throw err;
    throw new TypeError(`${call}: not a file: URL that names a local path: ${(err as Error).message}`);
  }
}
