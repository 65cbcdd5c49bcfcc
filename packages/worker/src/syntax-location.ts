/**
 * Where a task module fails to parse. Node's import() rejects with a bare SyntaxError ("Unexpected
 * number") whose stack is Node's loader alone, naming neither the file nor the line; `node
 * --check` on the same file prints both, so a failed import asks it, once per module.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Longest source line quoted in an error. */
const SHOWN_LINE_CHARS = 200;

/**
 * "line N: <source line>" from Node's pointer to a parse error (`node --check`'s stderr, or the
 * head of a CommonJS error's stack) for `path`, or null when it names none. The line is quoted
 * from `source`, the file as written, when given: Node quotes the code it parsed, which for
 * TypeScript has its types blanked out (`export function double(x        )         {`).
 */
export function checkLocation(stderr: string, path: string, source?: string): string | null {
  const lines = stderr.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^(.*):(\d+)$/.exec(lines[i]!);
    if (m && (m[1] === path || m[1] === `file://${path}` || m[1]!.endsWith(path))) {
      const written = source?.split('\n')[Number(m[2]) - 1];
      const line = (written ?? lines[i + 1]!).trim();
      return `line ${m[2]}: ${line.length > SHOWN_LINE_CHARS ? `${line.slice(0, SHOWN_LINE_CHARS)}…` : line}`;
    }
  }
  return null;
}

/** The file's text, or undefined when it cannot be read (then Node's quote of the line is used). */
function sourceOf(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

const described = new Map<string, Promise<string | null>>();

/** Runs `node --check` on a file: URL's module (once per URL) and returns its location, or null. */
function locate(url: string): Promise<string | null> {
  let p = described.get(url);
  if (!p) {
    const path = fileURLToPath(url);
    p = new Promise((resolve) => {
      execFile(process.execPath, ['--check', path], { timeout: 30_000 }, (_err, _out, stderr) => resolve(checkLocation(String(stderr), path, sourceOf(path))));
    });
    described.set(url, p);
  }
  return p;
}

/** Node's messages for an import or export statement in a file it parses as CommonJS. */
const MODULE_SYNTAX = /^(Unexpected token 'export'|Cannot use import statement outside a module)/;

/** The package.json nearest above a file, as Node looks for it to choose a .js/.ts file's kind. */
export interface NearestPackage {
  path: string;
  type: unknown;
}

/**
 * What to do about ES module syntax in a file Node loaded as CommonJS, or null for any other
 * error. Node says it only in a warning on stderr ("To load an ES module, set "type": "module"
 * …"), which a worker's user does not see; `npm init -y` writes `"type": "commonjs"`, so a task
 * module `tasks.ts` or `tasks.js` beside such a package.json fails with a bare "Unexpected token
 * 'export'".
 */
export function moduleKindHint(message: string, path: string, pkg: NearestPackage | null): string | null {
  if (!MODULE_SYNTAX.test(message) || /\.m[jt]s$/.test(path)) return null;
  const ts = /\.c?ts$/.test(path);
  const esm = ts ? '.mts' : '.mjs';
  const rewrite = 'or write it as CommonJS (exports.name = …)';
  if (/\.c[jt]s$/.test(path)) return `Node loads a ${path.slice(path.lastIndexOf('.'))} file as CommonJS, where import and export statements are not allowed: rename it ${esm}, ${rewrite}`;
  const why = pkg
    ? `${pkg.path} has ${pkg.type === undefined ? 'no "type"' : `"type": ${JSON.stringify(pkg.type)}`}`
    : 'no package.json above it says "type": "module"';
  const where = pkg ? `in ${pkg.path}` : `in a package.json beside it`;
  return `Node loads ${basename(path)} as CommonJS (${why}), where import and export statements are not allowed: rename it ${esm}, set "type": "module" ${where}, ${rewrite}`;
}

/** The package.json nearest above `dir` and its "type" (undefined when it has none or is unreadable). */
function nearestPackage(dir: string): NearestPackage | null {
  for (let d = dir; ; d = dirname(d)) {
    const path = join(d, 'package.json');
    let text: string | undefined;
    try { text = readFileSync(path, 'utf8'); } catch { /* none here: look further up */ }
    if (text !== undefined) {
      try { return { path, type: (JSON.parse(text) as { type?: unknown }).type }; } catch { return { path, type: undefined }; }
    }
    if (dirname(d) === d) return null;
  }
}

/**
 * A CommonJS parse error's stack starts with Node's own pointer to it ("FILE:LINE", the line, a
 * caret line, a blank line) before "SyntaxError: …". Returns its location and the stack after
 * it; an ES module's error has none (hence `node --check`).
 */
function decoration(stack: string, name: string, path: string): { where: string | null; rest: string } {
  const lines = stack.split('\n');
  const head = lines.findIndex((l) => l.startsWith(`${name}: `));
  if (head <= 0) return { where: null, rest: lines.slice(1).join('\n') };
  return { where: checkLocation(lines.slice(0, head).join('\n'), path, sourceOf(path)), rest: lines.slice(head + 1).join('\n') };
}

/**
 * The import's error, a SyntaxError of a file: module given its file and line in message and
 * stack, and what to do when the file is ES module syntax Node loaded as CommonJS.
 */
export async function withSyntaxLocation(err: unknown, url: string): Promise<unknown> {
  if (!(err instanceof SyntaxError) || !url.startsWith('file:') || / \(task module /.test(err.message)) return err;
  const path = fileURLToPath(url);
  const { where: pointed, rest } = decoration(err.stack ?? '', err.name, path);
  const where = pointed ?? await locate(url).catch(() => null);
  const hint = moduleKindHint(err.message, path, MODULE_SYNTAX.test(err.message) ? nearestPackage(dirname(path)) : null);
  const message = `${err.message} (task module ${url}${where ? `, ${where}` : ''})${hint ? `: ${hint}` : ''}`;
  err.message = message;
  err.stack = `${err.name}: ${message}${rest ? `\n${rest}` : ''}`;
  return err;
}
