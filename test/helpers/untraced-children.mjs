/**
 * Preloaded into every test process (`node-arg` in each .taprc): the processes a test starts
 * (schedulers, workers, the CLIs, npm) run without tap's @tapjs/processinfo loader, and the worker
 * threads it starts without tap's loaders.
 *
 * tap puts that loader into the NODE_OPTIONS of every process a test spawns, so as to record
 * coverage across processes. Coverage is off here (disable-coverage), and the loader made each
 * such node process cost over twice the CPU (`gluon-h4l run --bogus`: 0.33 -> 0.85 CPU-s, its
 * wall time 3x on a loaded machine): a module-hooks thread that every module load goes through.
 * The test process itself keeps it (tap's runner reads what it records there).
 *
 * A process-on-spawn listener (the hook tap's loader uses to add itself) runs after tap's and
 * takes the loader out again. If tap stops using that hook, this does nothing and the tests run
 * as before, only slower; test/units/untraced-children.ts says so.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { withoutProcessinfo } from './processinfo-options.mjs';
import { threadExecArgv } from './thread-options.mjs';

// .taprc's test-env sets TAP_TYPE_STRIP_ONLY=1 so that tap's TypeScript preload, which ran before
// this one, skipped ts-node (tsx compiles the tests). Set back, so that tap's TypeScript plugin, run
// when the test imports tap, does not take it for Node's type stripping asked for: on Node 22 it
// would add --no-warnings --experimental-strip-types to the NODE_OPTIONS of every process the test
// starts.
if (process.env.TAP_TYPE_STRIP_ONLY === '1') process.env.TAP_TYPE_STRIP_ONLY = '0';

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

/*
 * A worker thread started without an execArgv inherits the test process's, and so ran tap's
 * ts-node, mock and coverage loaders again in every thread: 1.3 CPU-s a thread, against 0.17 with
 * tsx alone (the worker's pools, rootio's inflate threads and h4l's write threads start many).
 * Such a thread gets threadExecArgv's instead: tsx, which a thread whose script is a package's
 * src/*.ts needs, and every other flag. An execArgv given is kept.
 */
const threads = createRequire(import.meta.url)('node:worker_threads');
const leanArgv = threadExecArgv(process.execArgv);
const TapThread = class Worker extends threads.Worker {
  constructor(filename, options) {
    super(filename, options?.execArgv === undefined ? { ...options, execArgv: leanArgv } : options);
  }
};
threads.Worker = TapThread;
// `import { Worker } from 'node:worker_threads'` in the modules the test loads sees it too.
syncBuiltinESMExports();
