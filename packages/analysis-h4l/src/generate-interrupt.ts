/**
 * `generate` (gluon-h4l's and gluon-finalstates') stopped by Ctrl-C (SIGINT), SIGTERM or SIGHUP
 * (its terminal closed, its ssh connection dropped): it says what it removed and the CLI exits 130
 * (143, 129). SIGHUP was left to its default until 5 December 2026, which left the `.partial`
 * files and the lock behind. Until 5 December 2026 it died by the signal,
 * leaving the files it had begun (0 bytes, or cut) beside whole ones and no manifest.json: a run
 * then took the cut ones for bad input and the whole ones for real ATLAS data (meta.ts: a dataset
 * is synthetic by its manifest). With `--threads 1` (and always in gluon-finalstates) the files
 * were written on the main thread, which saw no signal until the last one was written.
 */
import { countOf } from '@gluon/protocol/tools';
import { generateDataset, GenerateInterruptedError, type GenerateOptions, type Manifest } from './generate/dataset.js';
import { onFirstSignal } from './interrupt.js';

/** What a stopped generate says (`command`: `gluon-h4l generate`): how far it got, what it removed. */
export function generateInterruptedLine(command: string, e: Pick<GenerateInterruptedError, 'signal' | 'written' | 'total' | 'removed' | 'outDir'>): string {
  const list = (xs: readonly string[]) => (xs.length > 3 ? `${xs.slice(0, 3).join(', ')}, …` : xs.join(', '));
  const { files, folders } = e.removed;
  const what = [
    ...(files.length ? [`${countOf(files.length, 'file')} (${list(files)})`] : []),
    ...(folders.length ? [`the folder${folders.length > 1 ? 's' : ''} it had made (${folders.join(', ')})`] : []),
  ];
  const removed = what.length ? `removed what it had written (kept as .partial until the whole dataset is): ${what.join(' and ')}` : 'it had written nothing';
  return `${command}: interrupted (${e.signal}) after ${e.written} of ${countOf(e.total, 'file')}; ${removed}; `
    + `nothing of it is left, ${e.outDir} is as it was before; run generate again for the dataset`;
}

/**
 * generateDataset stopped by the first SIGINT, SIGTERM or SIGHUP (its files are written on threads then,
 * so this thread sees the signal at once): says {@link generateInterruptedLine} on `err` and
 * rethrows the GenerateInterruptedError, whose `exitCode` the CLI exits with. A second signal
 * finds no listener: the default, at once (it may leave `.partial` files, never a `.root` one).
 */
export async function generateStoppable(opts: GenerateOptions, command: string, err: NodeJS.WritableStream = process.stderr): Promise<Manifest> {
  const stop = new AbortController();
  const stopListening = onFirstSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], (sig) => stop.abort(sig));
  try {
    return await generateDataset({ ...opts, signal: stop.signal });
  } catch (e) {
    if (e instanceof GenerateInterruptedError) err.write(`${generateInterruptedLine(command, e)}\n`);
    throw e;
  } finally {
    stopListening();
  }
}
