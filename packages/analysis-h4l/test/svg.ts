/**
 * A minimal SVG reader for the plot tests: elements with their attributes, children and text,
 * and queries by tag and class, so tests check what a reader of the plot sees.
 */
export interface El { tag: string; attrs: Record<string, string>; children: El[]; text: string }

/** Parses the SVG the plot writes (well-formed XML without comments, CDATA or entities beyond &amp; &lt; &gt; &quot;). */
export function parseSvg(svg: string): El {
  const root: El = { tag: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  const re = /<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) { for (const e of stack) e.text += unescape(m[5]); continue; }
    if (m[1]) {
      if (top.tag !== m[2]) throw new Error(`svg: </${m[2]}> closes <${top.tag}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = unescape(a[2]!);
    const el: El = { tag: m[2]!, attrs, children: [], text: '' };
    top.children.push(el);
    if (!m[4]) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`svg: <${stack[stack.length - 1]!.tag}> not closed`);
  return root.children[0]!;
}

function unescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** Every element below `el` (depth first) matching a tag and/or a class. */
export function all(el: El, q: { tag?: string; cls?: string }): El[] {
  const out: El[] = [];
  const walk = (e: El) => {
    for (const c of e.children) {
      if ((!q.tag || c.tag === q.tag) && (!q.cls || (c.attrs.class ?? '').split(/\s+/).includes(q.cls))) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

/** The one element matching, or an error naming the query. */
export function one(el: El, q: { tag?: string; cls?: string }): El {
  const r = all(el, q);
  if (r.length !== 1) throw new Error(`expected one ${JSON.stringify(q)}, found ${r.length}`);
  return r[0]!;
}

export const num = (e: El, a: string): number => Number(e.attrs[a]);
