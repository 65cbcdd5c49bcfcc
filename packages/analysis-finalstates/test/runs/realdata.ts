/**
 * On the real ATLAS 4ℓ data: an independent recomputation (jsroot reads the branches, plain
 * loops select, combine and bin; no code shared with the package) agrees exactly with a run on a
 * 2-worker LocalCluster — events per final state and every histogram's bin contents as written
 * to the ROOT file (read back with jsroot); and serial, 1-worker and 2-worker runs with several
 * chunk sizes give identical results.
 */
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFile, TSelector, treeProcess } from 'jsroot';
import { DEFAULT_CONFIG, execute, listFiles, physicsOptions, mergeConfig, runFinalStates, histogramOf, type FsResult } from '@gluon/analysis-finalstates';
import { OPENDATA, HAVE_OPENDATA, NO_OPENDATA } from '../data-path.js';

const BRANCHES = ['lep_pt', 'lep_eta', 'lep_phi', 'lep_E', 'lep_type', 'lep_isTightID', 'jet_pt', 'jet_eta', 'jet_phi', 'jet_E',
  'photon_pt', 'photon_eta', 'photon_phi', 'photon_E', 'photon_isTightID'];

async function readEvents(file: string): Promise<Record<string, number[]>[]> {
  const f = await openFile(file);
  const tree = await f.readObject('mini');
  const rows: Record<string, number[]>[] = [];
  const sel = new TSelector();
  for (const b of BRANCHES) sel.addBranch(b, b);
  sel.Process = function (this: { tgtobj: Record<string, ArrayLike<number>> }) {
    const row: Record<string, number[]> = {};
    for (const b of BRANCHES) row[b] = Array.from(this.tgtobj[b], Number);
    rows.push(row);
  };
  await treeProcess(tree, sel);
  return rows;
}

interface O { t: number; pt: number; px: number; py: number; pz: number; e: number }

/** The issue's physics, written out plainly. */
function recompute(events: Record<string, number[]>[]) {
  const fs: Record<string, number> = {};
  const hist: Record<string, Map<number, number>> = {};
  const letters = ['e', 'm', 'j', 'g'];
  const peaks: Record<string, [number, number][]> = {
    '2e': [[91.1876, 10]], '2m': [[91.1876, 10], [3.0969, 0.2], [9.4603, 0.5]], '4e': [[125, 5]], '4m': [[125, 5]], '2e_2m': [[125, 5]],
  };
  const nameOf = (c: number[]) => c.map((n, i) => (n ? `${n}${letters[i]}` : '')).filter(Boolean).join('_');
  for (const ev of events) {
    const objects: O[] = [];
    const take = (t: number, pre: string, keep: (k: number) => boolean, ptMin: number, etaMax: number) => {
      const cands: O[] = [];
      for (let k = 0; k < ev[`${pre}_pt`].length; k++) {
        const pt = ev[`${pre}_pt`][k] / 1000, eta = ev[`${pre}_eta`][k], phi = ev[`${pre}_phi`][k];
        if (!keep(k) || !(pt > ptMin) || !(Math.abs(eta) < etaMax)) continue;
        cands.push({ t, pt, px: pt * Math.cos(phi), py: pt * Math.sin(phi), pz: pt * Math.sinh(eta), e: ev[`${pre}_E`][k] / 1000 });
      }
      // Stable sort by decreasing pT, the four leading kept.
      objects.push(...cands.map((o, i) => [o, i] as const).sort((a, b) => b[0].pt - a[0].pt || a[1] - b[1]).slice(0, 4).map((x) => x[0]));
    };
    take(0, 'lep', (k) => ev.lep_type[k] === 11 && ev.lep_isTightID[k] !== 0, 10, 2.47);
    take(1, 'lep', (k) => ev.lep_type[k] === 13 && ev.lep_isTightID[k] !== 0, 10, 2.5);
    take(2, 'jet', () => true, 25, 2.5);
    take(3, 'photon', (k) => ev.photon_isTightID[k] !== 0, 20, 2.37);
    if (objects.length < 2) continue;
    const counts = [0, 0, 0, 0];
    for (const o of objects) counts[o.t]++;
    const f = nameOf(counts);
    fs[f] = (fs[f] ?? 0) + 1;
    const n = objects.length;
    // Subsets in lexicographic order of their member indices; four-vectors summed in index order.
    const subsets: number[][] = [];
    const grow = (from: number, cur: number[]) => {
      for (let a = from; a < n; a++) {
        const s = [...cur, a];
        if (s.length >= 2) subsets.push(s);
        if (s.length < 4) grow(a + 1, s);
      }
    };
    grow(0, []);
    for (const s of subsets) {
      let px = 0, py = 0, pz = 0, e = 0;
      const c = [0, 0, 0, 0];
      for (const i of s) { px += objects[i].px; py += objects[i].py; pz += objects[i].pz; e += objects[i].e; c[objects[i].t]++; }
      const m = Math.sqrt(Math.max(e * e - (px * px + py * py + pz * pz), 0));
      const comb = nameOf(c);
      if ((peaks[comb] ?? []).some(([c0, w]) => Math.abs(m - c0) <= w)) continue;
      const key = `mass_${comb}_cat_${f}_width_10`;
      const h = (hist[key] ??= new Map());
      const b = Math.min(Math.floor(m / 10), 1300);
      h.set(b, (h.get(b) ?? 0) + 1);
    }
  }
  return { fs, hist };
}

/** A result's counts in a form `t.same` compares exactly. */
function canonical(r: FsResult) {
  const hists = Object.fromEntries([...r.hists.names].sort().map((k) => { const h = histogramOf(r, k)!; return [k, [Array.from(h.bins), Array.from(h.counts)]]; }));
  return { events: r.events, lessThanTwo: r.lessThanTwo, combinations: r.combinations, finalStates: r.finalStates, removed: r.removed, hists };
}

if (!HAVE_OPENDATA) {
  t.skip;
} else {
  const files = listFiles(OPENDATA);
  const physics = physicsOptions(mergeConfig({}, {}));

  t.test('an independent jsroot recomputation agrees exactly with a 2-worker cluster run (events per final state, every bin)', async (t) => {
    const ref = { fs: {} as Record<string, number>, hist: {} as Record<string, Map<number, number>> };
    for (const f of files) {
      const r = recompute(await readEvents(f));
      for (const [k, v] of Object.entries(r.fs)) ref.fs[k] = (ref.fs[k] ?? 0) + v;
      for (const [k, h] of Object.entries(r.hist)) { const into = (ref.hist[k] ??= new Map()); for (const [b, n] of h) into.set(b, (into.get(b) ?? 0) + n); }
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'fs-real-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const min = 3;
    const { runDir, report } = await execute({ ...DEFAULT_CONFIG, data_dir: OPENDATA, n_workers: 2, chunk_size: 64, dashboard: false,
      min_events_per_fs: min, base_output_dir: dir }, { argv: ['test'] }, () => {}, { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
    t.equal(report.mode, 'local-cluster');
    t.ok(report.result.chunks >= 13, `${report.result.chunks} chunks merged by treeReduce`);
    t.equal(report.result.events, 832);
    t.same(report.result.finalStates, ref.fs, 'events per final state');
    const summary = JSON.parse(readFileSync(path.join(runDir, 'histograms', 'finalstates.summary.json'), 'utf8'));
    t.same(summary.finalStates, ref.fs, 'events per final state in the summary');
    // Every histogram in the ROOT file, read with jsroot, against the recomputation's main/tail split.
    const kept = new Set(Object.keys(ref.fs).filter((k) => ref.fs[k] >= min));
    const want = Object.keys(ref.hist).filter((k) => kept.has(/_cat_(.+)_width_10$/.exec(k)![1])).sort();
    t.ok(want.length > 50, `${want.length} (final state, combination) pairs above ${min} events`);
    t.same(summary.histograms, want.flatMap((k) => [k, `${k}_tail`]).sort(), 'the histograms written: main and tail for each');
    const rf = await openFile(path.join(runDir, 'histograms', 'finalstates.root'));
    let bad = 0;
    for (const k of want) {
      const main = await rf.readObject(k), tail = await rf.readObject(`${k}_tail`);
      const expMain = new Array(102).fill(0), expTail = new Array(1202).fill(0);
      for (const [b, n] of ref.hist[k]) { if (b < 100) expMain[b + 1] += n; else expTail[b - 100 + 1] += n; }
      if (JSON.stringify(Array.from(main.fArray)) !== JSON.stringify(expMain) || JSON.stringify(Array.from(tail.fArray)) !== JSON.stringify(expTail)) {
        bad++;
        t.fail(`${k}: bin contents differ`);
      }
    }
    t.equal(bad, 0, `all ${want.length * 2} histograms agree bin for bin`);
  });

  // A cluster run checked against the serial reference with `diff -r`, as a new user did: the
  // ROOT file differed (a random UUID, the time of writing) and so did the summary (final states
  // and peak removals in the order the chunks' merge met them).
  t.test('the same histogram and summary bytes serial and on 2 workers, with other chunk sizes (SOURCE_DATE_EPOCH set)', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fs-bytes-'));
    const epoch = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    t.teardown(() => {
      if (epoch === undefined) delete process.env.SOURCE_DATE_EPOCH; else process.env.SOURCE_DATE_EPOCH = epoch;
      rmSync(dir, { recursive: true, force: true });
    });
    const quiet = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    const bytes = async (n_workers: number, chunk_size: number) => {
      const { runDir } = await execute({ ...DEFAULT_CONFIG, data_dir: OPENDATA, n_workers, chunk_size, dashboard: false, base_output_dir: path.join(dir, `${n_workers}-${chunk_size}`) },
        { argv: ['test'] }, () => {}, quiet);
      return ['histograms/finalstates.root', 'histograms/finalstates.summary.json'].map((f) => readFileSync(path.join(runDir, f)).toString('base64'));
    };
    const serial = await bytes(0, 1000);
    for (const [n, chunk] of [[0, 97], [2, 64]] as const) {
      const [root, summary] = await bytes(n, chunk);
      t.ok(root === serial[0], `finalstates.root: the same bytes ${n ? `on ${n} workers` : 'serial'}, chunks of ${chunk}`);
      t.ok(summary === serial[1], `finalstates.summary.json: the same bytes ${n ? `on ${n} workers` : 'serial'}, chunks of ${chunk}`);
    }
  });

  t.test('identical results serial, on 1 and 2 workers, with any chunk size', async (t) => {
    const base = { files, physics, fanIn: 3, publish: false, dashboard: false } as const;
    const serial = canonical((await runFinalStates({ ...base, nWorkers: 0, chunkSize: 1000 })).result);
    t.equal(serial.events, 832);
    for (const [nWorkers, chunkSize] of [[0, 5], [0, 97], [1, 50], [2, 7], [2, 1000]] as const) {
      const r = await runFinalStates({ ...base, nWorkers, chunkSize });
      t.same(canonical(r.result), serial, `${nWorkers === 0 ? 'serial' : `${nWorkers} worker(s)`}, chunks of ${chunkSize}: ${r.result.chunks} chunks`);
    }
  });
}
