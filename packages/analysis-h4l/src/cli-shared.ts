/**
 * @gluon/analysis-h4l/cli-shared: what gluon-finalstates's command line shares with gluon-h4l's
 * (flag words, path checks, the generate flags, the stop signals, the config file, the earlier
 * outputs of a run directory), without the analysis, the client or the ROOT reader that the
 * package's index loads: its --help and usage errors load none of them (bench/cli-startup.ts).
 * Every name here is the index's too.
 */
export { joinNegativeValues, settingsAsGiven, typedFlag, withHelpPointer, withHint, withMeantCommand, withMeantFlag, withPathFlag } from './argv.js';
export { runDirName, checkWritable, checkRunDirToRewrite } from './paths.js';
export { demoNumbers, generateNumbers, GENERATE_NUMBER_FLAGS } from './generate-flags.js';
export { exitStopped, InterruptedError, onFirstSignal, STOP_SIGNALS, type StopSignal } from './interrupt.js';
export { earlierOutputs, removeStaleOutputs, staleOutputsLine } from './stale-outputs.js';
export { readConfigYaml } from './config-file.js';
export { SCALE_RANGE, SEED_RANGE } from './generate/ranges.js';
