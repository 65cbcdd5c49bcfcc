/**
 * Reading a run's YAML config file, for both CLIs (gluon-h4l, gluon-finalstates), so their
 * messages about it read alike. The file is named by its absolute path: the user may not have
 * typed it (gluon-h4l reads ./config.yaml unasked), a relative name read later in a job's or a
 * run's log says nothing of the directory it was relative to, and a file that cannot be read is
 * most often looked for in another directory than the user thought, which the full path shows.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { reasonOf } from './errors.js';

/**
 * Reads and parses the YAML config file `file` (relative to `cwd`). Returns the document, not yet
 * checked, and the file's absolute path, the name every message about it uses (the checks' too).
 * Throws an error made by `fail` (each CLI's ConfigError): `cannot read config file /x/c.yaml (no
 * such file or directory (ENOENT))`, or `/x/c.yaml: not valid YAML: …` with the parser's place.
 */
export async function readConfigYaml(file: string, fail: new (message: string) => Error, cwd = process.cwd()): Promise<{ file: string; doc: unknown }> {
  const where = path.resolve(cwd, file);
  let text: string;
  try { text = await readFile(where, 'utf8'); } catch (e) {
    throw new fail(`cannot read config file ${where} (${reasonOf(e)})`);
  }
  // Loaded once there is a file to parse: a command line without one (its --help, a usage error,
  // --no-config) does not load the parser (bench/cli-startup.ts).
  const { parse: parseYaml } = await import('yaml');
  try { return { file: where, doc: parseYaml(text) }; } catch (e) {
    throw new fail(`${where}: not valid YAML: ${e instanceof Error ? e.message : e}`);
  }
}
