/** What test/helpers/untraced-children.mjs gives a test's worker threads as execArgv; no side effects, for its test. */

/** tap's loaders a thread has no use for: mocks (t.mockImport, main thread only), coverage (off), and ts-node (tsx compiles in threads). */
const tapLoader = /^--(?:import|loader|experimental-loader)=\S*@tapjs\/(?:mock|processinfo|typescript)\//;
const threadTsx = `--import=${new URL('./thread-tsx.mjs', import.meta.url).href}`;

/** The test process's own preloads: .taprc's `--import=tsx` (registered in the main thread only on Node 20) and untraced-children.mjs. */
const testPreload = /^--import=(?:tsx|\S*untraced-children\.mjs)$/;

/**
 * The execArgv a worker thread started without one gets in a test process: the test's own, less
 * tap's ts-node, mock and coverage loaders and the test's preloads, with tsx registered the way a
 * thread needs (thread-tsx.mjs) in their place. Every other flag stays.
 */
export function threadExecArgv(execArgv) {
  return [threadTsx, ...execArgv.filter((a) => !tapLoader.test(a) && !testPreload.test(a))];
}
