import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_DATA, sharedData } from '../helpers.js';

/**
 * The reader needs no jsroot at run time (a tarball install must not pull jsroot, whose canvas
 * dependency runs a native build): a child process in which importing jsroot fails opens real
 * files, lists branches, reads columns and a histogram.
 */
const data = sharedData();
const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const hooks = `
  import { register } from 'node:module';
  register('data:text/javascript,' + encodeURIComponent(
    'export async function resolve(s, c, next) { if (s === "jsroot" || s.startsWith("jsroot/")) throw new Error("jsroot is not installed"); return next(s, c); }'));`;

if (!data) {
  t.skip;
} else {
  t.test('reads trees and histograms with jsroot unavailable', async (t) => {
    const script = `
      import { openRootFile } from ${JSON.stringify(index)};
      let jsroot = 'importable';
      try { await import('jsroot'); } catch (e) { jsroot = e.message; }
      const f = await openRootFile(${JSON.stringify(join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root'))});
      const tree = await f.tree('mini');
      const cols = await tree.arrays(['lep_pt', 'lep_n']);
      const h = await openRootFile(${JSON.stringify(join(data, 'root-testfiles', 'uproot-histograms.root'))});
      const name = h.keys().find((k) => k.className === 'TH1F').name;
      const hist = await h.histogram(name);
      console.log(JSON.stringify({ jsroot, branches: tree.branches.length, n: cols.lep_n.length, values: cols.lep_pt.values.length, bins: hist.nbins }));`;
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hooks)}`, '--input-type=module', '-e', script], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    t.equal(out.jsroot, 'jsroot is not installed', 'jsroot cannot be imported in the child');
    t.ok((out.branches as number) > 50, `${out.branches} branches listed`);
    t.ok((out.n as number) > 0 && (out.values as number) >= (out.n as number), 'columns read');
    t.ok((out.bins as number) > 0, 'a histogram read');
  });
}
