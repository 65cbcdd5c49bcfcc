/**
 * Which analysis wrote a run directory, told by the files each one leaves there, so that
 * redrawing a directory the other CLI wrote says so and names the command that redraws it,
 * rather than that a file of its own is missing.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** The analyses whose run directories are told apart, and how each redraws its plots. */
const KINDS = [
  { cli: 'gluon-h4l', redraw: (dir: string) => `gluon-h4l plot --run-dir ${dir}`,
    // what its writeRun always leaves at the top of the run directory
    marks: (top: Set<string>) => top.has('histograms.json') && top.has('cutflow.csv') ? 'histograms.json, cutflow.csv' : null },
  { cli: 'gluon-finalstates', redraw: (dir: string) => `gluon-finalstates --plots-only --run-dir ${dir}`,
    // a whole run's summary, or a batch slice's (merged by --merge-only)
    marks: (_top: Set<string>, hists: string[]) => {
      const found = hists.find((n) => /^finalstates(\.batch-\d+-of-\d+)?\.summary\.json$/.test(n));
      return found === undefined ? null : `histograms/${found}`;
    } },
] as const;

/** `cli` names one of {@link KINDS}. */
export type RunKindCli = (typeof KINDS)[number]['cli'];

/**
 * When `dir` holds the outputs of an analysis other than `self`, a sentence saying which, by what
 * files, and the command that redraws it; else null (no such directory, or none of the others').
 */
export async function otherAnalysisRun(dir: string, self: RunKindCli): Promise<string | null> {
  const list = async (d: string) => { try { return await readdir(d); } catch { return []; } };
  const top = new Set(await list(dir));
  const hists = await list(path.join(dir, 'histograms'));
  for (const k of KINDS) {
    if (k.cli === self) continue;
    const by = k.marks(top, hists);
    if (by !== null) return `${dir} is a ${k.cli} run (it holds ${by}), not a ${self} one: redraw it with ${k.redraw(dir)}`;
  }
  return null;
}
