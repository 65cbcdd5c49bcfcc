// The selections' names, apart from the selections: the config's checks name them without loading
// the selection code and the ROOT reader (bench/cli-startup.ts).

/** The analysis' selections: the notebook's, the notebook's with its pT cuts, the framework's. */
export type SelectionName = 'notebook' | 'notebook-pt' | 'framework';
/** Every {@link SelectionName}, as the config and `--selection` take them. */
export const SELECTIONS: readonly SelectionName[] = ['notebook', 'notebook-pt', 'framework'];
