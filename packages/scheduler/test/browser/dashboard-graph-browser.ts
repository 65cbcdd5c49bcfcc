/**
 * The Task graph panel in Debian's chromium against a real LocalCluster (2 workers × 1 thread):
 * a small graph drawn task by task with each node coloured by its state as it changes, and a
 * graph over 3,000 tasks drawn as its groups graph with exact counts. Graphs are held still
 * behind a gate task, so what is drawn is known. Skips without /usr/bin/chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LocalCluster } from '@gluon/client';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { CLUSTER, fx, gates, outDir } from '../fixtures/dashboard-run.js';
import { decodePng } from '../fixtures/png.js';

const skip = chromiumSkip();

type Page = Awaited<ReturnType<typeof openPage>>['page'];

/** The colour drawn at a task's node, from a screenshot of the canvas, as `rgb(r, g, b)`. */
async function nodeColour(page: Page, key: string): Promise<string> {
  const at = await page.evaluate((k) => (document.querySelector('#graph') as any).nodeCenter(k), key);
  const canvas = page.locator('#graph canvas');
  const box = (await canvas.boundingBox())!;
  const png = decodePng(await canvas.screenshot({ type: 'png' }));
  const x = Math.round(at.x - box.x), y = Math.round(at.y - box.y);
  const i = (y * png.width + x) * 4;
  return `rgb(${png.rgba[i]}, ${png.rgba[i + 1]}, ${png.rgba[i + 2]})`;
}

/** The legend's colour for a state code. */
async function legendColour(page: Page, code: string): Promise<string> {
  return page.$eval(`.graph-legend i[data-state="${code}"]`, (i) => getComputedStyle(i).backgroundColor);
}

t.test('the task graph: nodes coloured live by state; the groups graph for big graphs', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, ...CLUSTER });
  t.teardown(() => cluster.close());
  const gate = gates(t);
  const { page, errors: pageErrors } = await openPage(t, cluster.dashboardUrl!);
  const client = await cluster.client();
  const data = async () => page.$eval('#graph', (e) => ({ ...(e as HTMLElement).dataset }));

  // A small graph: a gate task, three tasks after it, a tree of sums over those (fan-in 2: 2 + 1).
  const gate1 = gate('one');
  const g = client.submit(fx.gated, gate1, 0);
  const mids = client.map(fx.after, [g, g, g], [1, 2, 3]);
  const root = client.treeReduce(fx.total, mids, { fanIn: 2 });
  await page.waitForFunction(() => (document.querySelector('#graph') as HTMLElement).dataset.states === JSON.stringify({ p: 1, w: 6 }), null, { timeout: 60_000 });
  let d = await data();
  t.equal(d.shown, 'tasks', 'drawn task by task');
  t.equal(d.nodes, '7', '1 gate + 3 after + 3 sums');
  t.equal(d.edges, '8', '3 gate→after, 3 after→sum, 2 sum→sum');
  t.same(JSON.parse(d.groupEdges!).sort(), [['after', 'total', 3], ['gated', 'after', 3], ['total', 'total', 2]], 'the groups graph of it too');
  t.equal(await nodeColour(page, g.key), await legendColour(page, 'p'), 'the gate task is drawn in the processing colour');
  t.equal(await nodeColour(page, root.key), await legendColour(page, 'w'), 'the root in the waiting colour');
  // Hovering a node names it.
  const at = await page.evaluate((k) => (document.querySelector('#graph') as any).nodeCenter(k), g.key);
  await page.mouse.move(at.x, at.y);
  await page.waitForFunction(() => !(document.querySelector('#graph .stream-tip') as HTMLElement).hidden, null, { timeout: 120_000 });
  t.match(await page.textContent('#graph .stream-tip'), new RegExp(`key ${g.key}.*group gated.*state processing`), 'hover: key, group, state');
  writeFileSync(gate1, '');
  t.equal(await root.result(), 6, 'the sums');
  await page.waitForFunction(() => {
    const s = JSON.parse((document.querySelector('#graph') as HTMLElement).dataset.states || '{}');
    return s.m >= 5 && !s.w && !s.q && !s.p;
  }, null, { timeout: 60_000 });
  // The held results in memory; the intermediate sums (released once their parent ran) may linger as released.
  t.equal(JSON.parse((await data()).states!).m, 5, 'gate, three after, the root: in memory');
  t.equal(await nodeColour(page, root.key), await legendColour(page, 'm'), 'the root is recoloured: in memory');
  t.equal(await nodeColour(page, g.key), await legendColour(page, 'm'), 'and the gate task');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'graph-tasks.png'), await page.locator('#graph-panel').screenshot({ type: 'png' }));
  client.release([g, ...mids, root]);

  // A big graph, held behind a gate: 1 + 3,500 + 73 sums (fan-in 50: 70, 2, 1) = 3,574 tasks.
  const gate2 = gate('two');
  const g2 = client.submit(fx.gated, gate2, 0);
  const many = client.map(fx.after, Array.from({ length: 3500 }, () => g2), Array.from({ length: 3500 }, (_, i) => i));
  const big = client.treeReduce(fx.total, many, { fanIn: 50 });
  await page.waitForFunction(() => (document.querySelector('#graph') as HTMLElement).dataset.total === '3574', null, { timeout: 60_000 });
  await page.waitForFunction(() => JSON.parse((document.querySelector('#graph') as HTMLElement).dataset.groups || '[]').find((x: any) => x.name === 'gated')?.counts.p === 1, null, { timeout: 60_000 });
  d = await data();
  t.equal(d.mode, 'groups', 'over 3,000 tasks: the groups graph only');
  t.equal(d.shown, 'groups');
  t.match(await page.textContent('#graph .graph-note'), /3,574 tasks: over the 3,000/, 'and the note says why');
  const groups = Object.fromEntries((JSON.parse(d.groups!) as Array<{ name: string; counts: Record<string, number> }>).map((x) => [x.name, x.counts]));
  t.same(groups.gated, { w: 0, q: 0, p: 1, m: 0, e: 0, r: 0 }, 'gated: 1 processing');
  t.equal(groups.after!.w! + groups.after!.q!, 3500, 'after: 3,500 waiting for the gate');
  t.equal(groups.total!.w, 73, 'total: 73 waiting');
  t.same(JSON.parse(d.groupEdges!).sort(), [['after', 'total', 3500], ['gated', 'after', 3500], ['total', 'total', 72]], 'edges between groups with their task-edge counts');
  t.ok(await page.locator('.graph-show-tasks').isDisabled(), 'the task-by-task view is not offered');
  writeFileSync(join(outDir, 'graph-groups.png'), await page.locator('#graph-panel').screenshot({ type: 'png' }));
  writeFileSync(gate2, '');
  t.equal(await big.result(), (3499 * 3500) / 2, 'the big sum');
  t.same(pageErrors, [], 'no errors in the page');
});

/** WCAG relative luminance of 8-bit sRGB, and the contrast ratio of two colours. */
function luminance([r, g, b]: number[]): number {
  const c = (v: number) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  return 0.2126 * c(r!) + 0.7152 * c(g!) + 0.0722 * c(b!);
}
function contrast(a: number[], b: number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

type Drawn = { width: number; height: number; r: number; nodes: Array<[string, number, number, string]>; edges: Array<[number, number]> };

/**
 * What a reader of a drawn task graph needs: nodes big enough to see, inside the canvas, none
 * overlapping another (outlines of 1 px included), each dependency left of its dependent, and
 * (on a wide canvas, `stretch`) no edge stretched across it.
 */
function readable(t: Test, d: Drawn, stretch = true): void {
  t.ok(d.r >= 2, `nodes big enough to see (radius ${d.r} px)`);
  const outside = d.nodes.filter(([, x, y]) => x - d.r < 0 || y - d.r < 0 || x + d.r > d.width || y + d.r > d.height);
  t.same(outside, [], 'every node inside the canvas');
  let closest = { d: Infinity, a: '', b: '' };
  for (let i = 0; i < d.nodes.length; i++) {
    for (let j = i + 1; j < d.nodes.length; j++) {
      const [a, ax, ay] = d.nodes[i]!, [b, bx, by] = d.nodes[j]!;
      const dist = Math.hypot(ax - bx, ay - by);
      if (dist < closest.d) closest = { d: dist, a, b };
    }
  }
  t.ok(closest.d >= 2 * d.r + 1, `the closest two nodes are ${closest.d.toFixed(1)} px apart (${closest.a}, ${closest.b}), radius ${d.r} px`);
  const backwards = d.edges.filter(([a, b]) => d.nodes[a]![1] >= d.nodes[b]![1]);
  t.same(backwards, [], 'every dependency left of its dependent');
  if (!stretch) return;
  const longest = Math.max(...d.edges.map(([a, b]) => Math.hypot(d.nodes[a]![1] - d.nodes[b]![1], d.nodes[a]![2] - d.nodes[b]![2])));
  t.ok(longest <= 0.35 * d.width, `the longest edge is ${longest.toFixed(0)} px of the canvas's ${d.width} px`);
}

t.test('a map with a treeReduce beside a small sum and loose tasks: every node drawn apart, layers close, released nodes outlined', { skip }, async (t) => {
  // The shape the report showed as one long diagonal line: many tasks of the first layer in a
  // single 1-px column of overlapping dots, and the few layers after it spread over the whole width.
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, ...CLUSTER });
  t.teardown(() => cluster.close());
  const { page, errors: pageErrors } = await openPage(t, cluster.dashboardUrl!);
  const client = await cluster.client();
  const parts = client.map(fx.noop, Array.from({ length: 200 }, (_, i) => i));
  const root = client.treeReduce(fx.total, parts, { fanIn: 16 });
  const small = client.map(fx.noop, Array.from({ length: 8 }, (_, i) => 1000 + i));
  const sum = client.submit(fx.total, small);
  const loose = client.map(fx.noop, Array.from({ length: 60 }, (_, i) => 2000 + i));
  t.equal(await root.result(), (199 * 200) / 2);
  t.equal(await sum.result(), 8 * 1000 + 28);
  await client.gather(loose);
  // Held: 200 parts, the root, 8 + 1, 60 loose; the 13 intermediate sums are released (kept as the root's lineage).
  await page.waitForFunction(() => {
    const s = JSON.parse((document.querySelector('#graph') as HTMLElement).dataset.states || '{}');
    return s.m === 270 && s.r === 13 && !s.w && !s.q && !s.p;
  }, null, { timeout: 60_000 });
  const drawn = async (): Promise<Drawn> => page.evaluate(() => (document.querySelector('#graph') as any).drawn());
  const d = await drawn();
  t.equal(d.nodes.length, 283, 'every task the scheduler holds is drawn');
  readable(t, d);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'graph-map-reduce.png'), await page.locator('#graph-panel').screenshot({ type: 'png' }));

  // A released node (an intermediate sum) is hollow, its outline at least 3:1 against the panel
  // (WCAG's contrast for graphics), in the light theme and the dark one.
  const released = d.nodes.find(([, , , s]) => s === 'r')!;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForFunction((s) => (document.querySelector('#graph') as HTMLElement).dataset.theme === s, scheme, { timeout: 60_000 });
    const now = await drawn();
    const [, cx, cy] = now.nodes.find(([k]) => k === released[0])!;
    const png = decodePng(await page.locator('#graph canvas').screenshot({ type: 'png' }));
    const scale = png.width / now.width;
    const px = (x: number, y: number) => {
      const i = (Math.round(y * scale) * png.width + Math.round(x * scale)) * 4;
      return [png.rgba[i]!, png.rgba[i + 1]!, png.rgba[i + 2]!];
    };
    const panel = px(1, 1);
    // Around the node's rim, 24 directions (the best of three radii each, for anti-aliasing):
    // the median, so the few directions where edges run into the node do not count.
    const rim = Array.from({ length: 24 }, (_, k) => {
      const a = (k / 24) * 2 * Math.PI;
      return Math.max(...[-0.5, 0, 0.5].map((dr) => contrast(px(cx + (now.r + dr) * Math.cos(a), cy + (now.r + dr) * Math.sin(a)), panel)));
    }).sort((a, b) => a - b);
    const ring = rim[12]!;
    t.ok(ring >= 3, `${scheme}: the released node's rim is ${ring.toFixed(2)}:1 against the panel rgb(${panel.join(', ')})`);
    t.ok(contrast(px(cx, cy), panel) < 1.1, `${scheme}: and its inside is the panel's colour (hollow)`);
    writeFileSync(join(outDir, `graph-released-${scheme}.png`), await page.locator('#graph-panel').screenshot({ type: 'png' }));
  }
  // On a 400 px wide screen: the same graph, still readable, within its panel.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 400, height: 900 });
  await page.waitForFunction(() => (document.querySelector('#graph') as any).drawn()?.width < 400, null, { timeout: 60_000 });
  const narrow = await drawn();
  readable(t, narrow, false);
  const fits = await page.evaluate(() => {
    const canvas = document.querySelector('#graph canvas')!.getBoundingClientRect();
    const panel = document.getElementById('graph-panel')!.getBoundingClientRect();
    return canvas.left >= panel.left && canvas.right <= panel.right;
  });
  t.ok(fits, `at 400 px the graph (${narrow.width} px wide) fits its panel`);
  writeFileSync(join(outDir, 'graph-narrow.png'), await page.locator('#graph-panel').screenshot({ type: 'png' }));
  // Until here the futures are held (a future the client lets go of is released, and the root's
  // lineage with it).
  client.release([...parts, root, ...small, sum, ...loose]);
  t.same(pageErrors, [], 'no errors in the page');
});
