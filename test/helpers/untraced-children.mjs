/**
 * Preloaded into every test process (`node-arg` in each .taprc): the processes a test starts
 * (schedulers, workers, the CLIs, npm) run without tap's @tapjs/processinfo loader.
 *
 * tap puts that loader into the NODE_OPTIONS of every process a test spawns, so as to record
 * coverage across processes. Coverage is off here (disable-coverage), and the loader made each
 * such node process cost over twice the CPU (`gluon-h4l run --bogus`: 0.33 -> 0.85 CPU-s, its
 * wall time 3x on a loaded machine): a module-hooks thread that every module load goes through.
 * The test process itself keeps it (tap's runner reads what it records there).
 *
 * A process-on-spawn listener (the hook tap's loader uses to add itself) runs after tap's and
 * takes the loader out again. If tap stops using that hook, this does nothing and the tests run
 * as before, only slower; test/untraced-children.test.ts says so.
 */
import { createRequire } from 'node:module';
import { withoutProcessinfo } from './processinfo-options.mjs';

let onSpawn;
try {
  // The same process-on-spawn that tap's loader registered with (one instance per process).
  onSpawn = createRequire(import.meta.resolve('@tapjs/processinfo'))('process-on-spawn');
} catch {
  onSpawn = undefined;
}
if (onSpawn) {
  const own = withoutProcessinfo(process.env.NODE_OPTIONS);
  if (own) process.env.NODE_OPTIONS = own;
  else delete process.env.NODE_OPTIONS;
  onSpawn.addListener((spawned) => {
    const options = spawned.env.NODE_OPTIONS;
    if (options === undefined) return;
    const kept = withoutProcessinfo(options);
    if (kept === options) return;
    const env = { ...spawned.env };
    if (kept) env.NODE_OPTIONS = kept;
    else delete env.NODE_OPTIONS;
    spawned.env = env;
  });
}
