/** What test/helpers/untraced-children.mjs gives a test's worker threads as execArgv; no side effects, for its test. */

/** tap's loaders a thread has no use for: mocks (t.mockImport, main thread only), coverage (off), and ts-node (tsx compiles in threads). */
const tapLoader = /^--(?:import|loader|experimental-loader)=\S*@tapjs\/(?:mock|processinfo|typescript)\//;
const threadTsx = `--import=${new URL('./thread-tsx.mjs', import.meta.url).href}`;

/**
 * The execArgv a worker thread started without one gets in a test process: the test's own, less
 * tap's ts-node, mock and coverage loaders and the test's preload, with tsx registered the way a
 * thread needs (thread-tsx.mjs) in their place. Every other flag stays.
 */
export function threadExecArgv(execArgv) {
  return [threadTsx, ...execArgv.filter((a) => !tapLoader.test(a) && !/^--import=\S*untraced-children\.mjs$/.test(a))];
}
