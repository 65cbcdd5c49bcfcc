/**
 * @gluon/analysis-h4l: the ATLAS Open Data H→ZZ*→4ℓ analysis as Gluon tasks.
 * See README.md for the API, the CLI and the output formats.
 */
export * from './samples.js';
export * from './hist.js';
export * from './cutflow.js';
export * from './columns.js';
export * from './selection-a.js';
export * from './selection-b.js';
export * from './result.js';
export * from './reader.js';
export * from './chunk.js';
export * from './dataset.js';
export * from './groups.js';
export * from './run.js';
// Shared with @gluon/analysis-finalstates: the console progress bar, PNG rendering and the
// command-line words' preparation for parseArgs.
export * from './progress.js';
export { svgToPng, niceStep } from './plot.js';
export { joinNegativeValues, settingsAsGiven, typedFlag, withHelpPointer, withHint, withMeantCommand, withMeantFlag, withPathFlag } from './argv.js';
export { runDirName, checkWritable, checkRunDirToRewrite } from './paths.js';
export { otherAnalysisRun, type RunKindCli } from './run-kind.js';
export { figure } from './figures.js';
export { demoNumbers, generateNumbers, GENERATE_NUMBER_FLAGS } from './generate-flags.js';
export { generateStoppable, generateInterruptedLine } from './generate-interrupt.js';
export { watchForWorkers, NoWorkersError, workersWaitedFor, type WatchOptions, type WorkerWatch } from './wait-workers.js';
// Ctrl-C (SIGTERM, SIGHUP) during a run (both CLIs): the line, the race, the files-done count, and the run's
// console (the progress bar and the Ctrl-C listener, one wiring).
export { whenAborted, unlessInterrupted, exitStopped, filesDoneCounter, finishingOnCtrlC, interruptedLine, onFirstCtrlC, onFirstSignal, STOP_SIGNALS, stopSignalOf, writingInterruptedLine, type RunPlace, type StopSignal } from './interrupt.js';
export { runConsole, type RunConsole } from './run-console.js';
// A batch run's wait for workers (both CLIs): the line, and when worker_timeout_s counts from.
export { batchWaitingLine, clusterModeText, jobsRunningSince } from './batch.js';
// A run into a directory holding an earlier run's outputs (both CLIs): the earlier files not written again go.
export { earlierOutputs, removeStaleOutputs, staleOutputsLine } from './stale-outputs.js';
export { sourceDateEpoch } from './provenance.js';
// A --data-dir that is the folder above the dataset (both CLIs): the folder below to give instead.
export { folderBelowAdvice, type FolderBelow } from './folder-below.js';
// The config file's reading and its messages (both CLIs): named by its absolute path.
export { readConfigYaml } from './config-file.js';
