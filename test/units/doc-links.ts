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

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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

/**
 * The same Markdown read from a package's tarball (`npm pack`), where the repository around the
 * package is gone: a relative link must point to a file packed with it, or to a file packed with a
 * `@gluon` package it depends on (installed beside it, as `node_modules/@gluon/<name>`, so
 * `../worker/README.md` still resolves), and the text names no package a user cannot install
 * (the client's README imported `@gluon/examples`, which is private, and linked `../../examples`
 * and `../../docs`). Absolute URLs are not followed. The packed files are npm's own list
 * (`npm pack --dry-run`, scripts off: nothing is built).
 */
t.test('the Markdown of each packed package, read from its tarball', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { posix } = await import('node:path');
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--workspaces'], { cwd: root, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  t.equal(r.status, 0, `npm pack --dry-run: ${r.stderr}`);
  const packs = JSON.parse(r.stdout) as { name: string; files: { path: string }[] }[];
  /** Each public @gluon package by its folder under packages/: its name, dependencies and packed files. */
  const byDir = new Map<string, { name: string; deps: Set<string>; files: Set<string> }>();
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pj = join(root, 'packages', dir, 'package.json');
    if (!existsSync(pj)) continue;
    const json = JSON.parse(readFileSync(pj, 'utf8')) as { name: string; private?: boolean; dependencies?: Record<string, string> };
    if (json.private) continue;
    const pack = packs.find((p) => p.name === json.name);
    if (!pack) { t.fail(`${json.name}: not in npm pack's list`); continue; }
    byDir.set(dir, { name: json.name, deps: new Set(Object.keys(json.dependencies ?? {})), files: new Set(pack.files.map((f) => f.path)) });
  }
  t.ok(byDir.size >= 8, `the public packages are found (${[...byDir.values()].map((p) => p.name).join(', ')})`);
  const publicNames = new Set([...byDir.values()].map((p) => p.name));
  const packed = (files: Set<string>, path: string) => files.has(path) || [...files].some((f) => f.startsWith(`${path}/`));
  for (const [dir, pkg] of byDir) {
    for (const md of [...pkg.files].filter((f) => f.endsWith('.md')).sort()) {
      const text = readFileSync(join(root, 'packages', dir, md), 'utf8');
      const broken: string[] = [];
      proseLines(text).forEach((line, i) => {
        for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const link = m[1]!;
          if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
          const path = decodeURIComponent(link.split('#', 1)[0]!);
          if (path === '') continue;
          const target = posix.normalize(posix.join(posix.dirname(md), path)).replace(/\/$/, '');
          if (!target.startsWith('../') && packed(pkg.files, target)) continue;
          // ../<name>/…: a file of the @gluon package <name>, installed beside this one when it is a dependency.
          const beside = /^\.\.\/([^/]+)\/(.+)$/.exec(target);
          const dep = beside ? byDir.get(beside[1]!) : undefined;
          if (dep && pkg.deps.has(dep.name) && dep.name === `@gluon/${beside![1]}` && packed(dep.files, beside![2]!)) continue;
          broken.push(`packages/${dir}/${md}:${i + 1}: ${link} (${dep && !pkg.deps.has(dep.name) ? `${dep.name} is not a dependency of ${pkg.name}` : `not in the tarball of ${pkg.name}`})`);
        }
      });
      text.split('\n').forEach((line, i) => {
        for (const m of line.matchAll(/@gluon\/([a-z0-9-]+)/g)) {
          if (!publicNames.has(`@gluon/${m[1]}`)) broken.push(`packages/${dir}/${md}:${i + 1}: names @gluon/${m[1]}, which is not a public package`);
        }
      });
      t.same(broken, [], `${pkg.name} ${md}: every relative link resolves in the tarball (or beside it, in a dependency), every @gluon package named can be installed`);
    }
  }
});
