/**
 * The command-line words' helpers both analysis CLIs use (argv.ts): what an unknown flag of the
 * other command or CLI stands for here. One implementation since gluon-finalstates' outFlagHint
 * repeated gluon-h4l's; the lookup takes the map's own keys only.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unknownCommandText, withMeantCommand, withMeantFlag, withPathFlag } from '../../src/argv.js';

const meant = { out: '--dest' };

t.test('a flag the map names gets the hint, naming the command', async (t) => {
  t.equal(withMeantFlag("Unknown option '--out'", 'download', meant), "Unknown option '--out' (did you mean --dest? download has no --out)");
  t.equal(withMeantFlag("Unknown option '--output-dir'", 'gluon-finalstates', { 'output-dir': '--run-dir DIR' }),
    "Unknown option '--output-dir' (did you mean --run-dir DIR? gluon-finalstates has no --output-dir)");
});

t.test('other messages are left as they are', async (t) => {
  t.equal(withMeantFlag("Unknown option '--bogus'", 'download', meant), "Unknown option '--bogus'");
  t.equal(withMeantFlag("Unknown option '--ot' (did you mean --out?)", 'download', { ot: '--dest' }), "Unknown option '--ot' (did you mean --out?)", 'a nearer spelling already given');
  t.equal(withMeantFlag("Option '--out <value>' argument missing", 'download', meant), "Option '--out <value>' argument missing");
});

t.test('names an object has by inheritance are not flags of the map', async (t) => {
  // Read as map[flag], `--constructor` suggested "--function Object() { [native code] }".
  for (const flag of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
    t.equal(withMeantFlag(`Unknown option '--${flag}'`, 'run', meant), `Unknown option '--${flag}'`, flag);
  }
});

t.test('a word where a command goes: a flag first, a misspelt command, or another word', async (t) => {
  const cmds = ['run', 'generate', 'download', 'plot'];
  t.equal(unknownCommandText('gluon-h4l', '--data-dir', cmds), 'gluon-h4l: --data-dir is a flag, but a command comes first: gluon-h4l run --data-dir … (commands: run, generate, download, plot)');
  t.equal(unknownCommandText('gluon-h4l', 'genrate', cmds), 'gluon-h4l: unknown command "genrate" (did you mean generate?) (commands: run, generate, download, plot)');
  t.equal(unknownCommandText('gluon-h4l', 'plots', cmds), 'gluon-h4l: unknown command "plots" (did you mean plot?) (commands: run, generate, download, plot)');
  t.equal(unknownCommandText('gluon-h4l', 'frobnicate', cmds), 'gluon-h4l: unknown command "frobnicate" (commands: run, generate, download, plot)');
});

t.test('a stray word parseArgs refuses gets the command it likely is', async (t) => {
  const meantCmd = { run: 'run', generate: 'generate', plot: '--plots-only --run-dir DIR' };
  const msg = "Unexpected argument 'generat'. This command does not take positional arguments";
  t.equal(withMeantCommand(msg, 'gluon-finalstates', meantCmd), `${msg} (did you mean gluon-finalstates generate?)`);
  t.equal(withMeantCommand("Unexpected argument 'plot'. This command does not take positional arguments", 'gluon-finalstates', meantCmd),
    "Unexpected argument 'plot'. This command does not take positional arguments (did you mean gluon-finalstates --plots-only --run-dir DIR?)");
  t.equal(withMeantCommand("Unexpected argument 'x.root'. This command does not take positional arguments", 'gluon-finalstates', meantCmd),
    "Unexpected argument 'x.root'. This command does not take positional arguments", 'nothing near: as it was');
  t.equal(withMeantCommand("Unknown option '--bogus'", 'gluon-finalstates', meantCmd), "Unknown option '--bogus'");
});

t.test('a stray word that names a file or directory: the path flag left out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argv-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const msg = (w: string) => `Unexpected argument '${w}'. This command does not take positional arguments`;
  t.equal(withPathFlag(msg(dir), '--data-dir'), `${msg(dir)} (did you mean --data-dir ${dir}?)`);
  t.equal(withPathFlag(msg(join(dir, 'nothing-here')), '--data-dir'), msg(join(dir, 'nothing-here')), 'a word naming nothing: as it was');
  t.equal(withPathFlag(`${msg(dir)} (did you mean gluon-finalstates generate?)`, '--data-dir'), `${msg(dir)} (did you mean gluon-finalstates generate?)`, 'one hint only');
  t.equal(withPathFlag("Unknown option '--bogus'", '--data-dir'), "Unknown option '--bogus'");
});
