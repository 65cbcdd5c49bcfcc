/**
 * Every relative link in the top-level README, docs/*.md and each package's README points to a
 * file that exists, and a `#heading` part to a heading that file has (GitHub's anchor rule:
 * lower case, punctuation other than `-` and `_` dropped, spaces become `-`, repeats get
 * `-1`, `-2`). A newcomer following a broken link lands nowhere; this fails naming the file,
 * the line and the link.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Markdown files a newcomer reads: README.md, docs/*.md, packages/* /README.md, examples/README.md. */
function docFiles(): string[] {
  const files = [join(root, 'README.md')];
  for (const f of readdirSync(join(root, 'docs'))) if (f.endsWith('.md')) files.push(join(root, 'docs', f));
  for (const p of readdirSync(join(root, 'packages'))) {
    const readme = join(root, 'packages', p, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  if (existsSync(join(root, 'examples', 'README.md'))) files.push(join(root, 'examples', 'README.md'));
  return files;
}

/** Text outside fenced code blocks and inline code spans, line by line (links there are not links). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) { fenced = !fenced; return ''; }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** GitHub's anchors for the headings of a Markdown file (headings inside code fences are not headings). */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) { fenced = !fenced; continue; }
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const title = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = title.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

for (const file of docFiles()) {
  t.test(relative(root, file), async (t) => {
    const lines = proseLines(readFileSync(file, 'utf8'));
    const broken: string[] = [];
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const link = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
        const [path, hash] = link.split('#', 2) as [string, string | undefined];
        const target = path === '' ? file : join(dirname(file), decodeURIComponent(path));
        const where = `${relative(root, file)}:${i + 1}: ${link}`;
        if (!existsSync(target)) { broken.push(`${where} (no such file)`); continue; }
        if (hash !== undefined && statSync(target).isFile() && target.endsWith('.md')
          && !anchors(target).has(decodeURIComponent(hash).toLowerCase())) {
          broken.push(`${where} (no heading #${hash} in ${relative(root, target)})`);
        }
      }
    });
    t.same(broken, [], 'every relative link points to a file and heading that exist');
  });
}
