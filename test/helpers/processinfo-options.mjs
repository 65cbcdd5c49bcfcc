/** What test/helpers/untraced-children.mjs takes out of NODE_OPTIONS; no side effects, for its test. */

/** NODE_OPTIONS without tap's processinfo loader (`--import=…@tapjs/processinfo…`, or `--loader` on old Node). */
export function withoutProcessinfo(options) {
  if (!options) return options;
  // tap writes it quoted whole ("--import=file:///…/import.mjs"); by hand it may be bare.
  return options.replace(/(^|\s)(?:"--(?:import|loader|experimental-loader)=[^"]*@tapjs\/processinfo[^"]*"|--(?:import|loader|experimental-loader)[= ]\S*@tapjs\/processinfo\S*)/g, '').trim();
}
