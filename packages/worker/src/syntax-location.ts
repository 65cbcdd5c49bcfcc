/**
 * Where a task module fails to parse. Node's import() rejects with a bare SyntaxError ("Unexpected
 * number") whose stack is Node's loader alone, naming neither the file nor the line; `node
 * --check` on the same file prints both, so a failed import asks it, once per module.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** "line N: <source line>" from `node --check`'s stderr for `path`, or null when it names none. */
export function checkLocation(stderr: string, path: string): string | null {
  const lines = stderr.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^(.*):(\d+)$/.exec(lines[i]!);
    if (m && (m[1] === path || m[1] === `file://${path}` || m[1]!.endsWith(path))) return `line ${m[2]}: ${lines[i + 1]!.trim()}`;
  }
  return null;
}

const described = new Map<string, Promise<string | null>>();

/** Runs `node --check` on a file: URL's module (once per URL) and returns its location, or null. */
function locate(url: string): Promise<string | null> {
  let p = described.get(url);
  if (!p) {
    const path = fileURLToPath(url);
    p = new Promise((resolve) => {
      execFile(process.execPath, ['--check', path], { timeout: 30_000 }, (_err, _out, stderr) => resolve(checkLocation(String(stderr), path)));
    });
    described.set(url, p);
  }
  return p;
}

/** The import's error, a SyntaxError of a file: module given its file and line in message and stack. */
export async function withSyntaxLocation(err: unknown, url: string): Promise<unknown> {
  if (!(err instanceof SyntaxError) || !url.startsWith('file:') || / \(task module /.test(err.message)) return err;
  const where = await locate(url).catch(() => null);
  const message = `${err.message} (task module ${url}${where ? `, ${where}` : ''})`;
  const rest = (err.stack ?? '').split('\n').slice(1).join('\n');
  err.message = message;
  err.stack = `${err.name}: ${message}${rest ? `\n${rest}` : ''}`;
  return err;
}
