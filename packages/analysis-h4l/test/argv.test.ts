/**
 * The command-line words' helpers both analysis CLIs use (argv.ts): what an unknown flag of the
 * other command or CLI stands for here. One implementation since gluon-finalstates' outFlagHint
 * repeated gluon-h4l's; the lookup takes the map's own keys only.
 */
import t from 'tap';
import { withMeantFlag } from '../src/argv.js';

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
