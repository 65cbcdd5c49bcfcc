/**
 * The waiting-for-workers notice on a run's console (runConsole, both CLIs): said on a line of
 * its own, and only while no chunk is done. gluon-finalstates wrote it straight after its
 * progress bar, on the bar's line, saying no worker had finished a task under a bar counting
 * chunks done.
 */
import t from 'tap';
import { runConsole } from '../../src/run-console.js';

/** A terminal's stream: what was written, in order. */
function tty(): NodeJS.WriteStream & { text: string } {
  const s = { isTTY: true, text: '', write(b: string) { s.text += b; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const progress = (chunksDone: number) => ({ chunksDone, chunksTotal: 4, filesDone: 0, filesTotal: 2, events: chunksDone * 10, eventsTotal: 40, elapsedMs: 1000 });

t.test('before any chunk is done: the notice is said', async (t) => {
  const out = tty(), lines: string[] = [];
  const run = runConsole('test', out);
  t.teardown(() => run.close());
  run.progress(progress(0));
  run.waiting('waiting for workers: …', (s) => { out.write(`${s}\n`); lines.push(s); });
  t.same(lines, ['waiting for workers: …']);
  t.match(out.text, /\x1b\[K\nwaiting for workers: …\n$/, 'on a line of its own: the bar\'s line ended first');
});

t.test('once a chunk is done: the run no longer waits, and says nothing of it', async (t) => {
  const out = tty(), lines: string[] = [];
  const run = runConsole('test', out);
  t.teardown(() => run.close());
  run.progress(progress(1));
  run.waiting('waiting for workers: …', (s) => { out.write(`${s}\n`); lines.push(s); });
  t.same(lines, []);
  t.notMatch(out.text, /waiting/);
});
