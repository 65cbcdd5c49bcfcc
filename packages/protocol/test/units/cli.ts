import t from 'tap';
import { envText, flag, helpText, parseCli, UsageError, type CliSpec, type FlagTable } from '@gluon/protocol';

const flags = {
  port: flag.port('port to listen on', '8786'),
  ttl: flag.duration('silence before a peer is dead', 100, 3600_000, '30s'),
  limit: flag.bytes('memory limit', 1024 ** 2, 1024 ** 4),
  n: flag.int('threads', 1, 64, '1'),
  token: flag.string('secret', { arg: 'T', env: 'TEST_TOKEN' }),
  mode: flag.choice('how', ['fast', 'slow'] as const, 'fast'),
  quiet: flag.switch('say less'),
  allow: flag.list('allowed module', 'SPEC'),
};
const spec: CliSpec<typeof flags> = { name: 'demo', version: '1.2.3', usage: '[options] ADDR', description: 'A demo.', flags, positionals: { min: 1, max: 1, name: 'address' } };

function values(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = parseCli(spec, argv, env);
  if ('exit' in r) throw new Error('unexpected exit');
  return r;
}

function usageError(argv: string[]): string {
  try {
    parseCli(spec, argv, {});
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

t.test('defaults are parsed like given values; absent optional flags are undefined', async (t) => {
  const { values: v, positionals } = values(['ws://x']);
  t.same(v, { port: 8786, ttl: 30_000, limit: undefined, n: 1, token: undefined, mode: 'fast', quiet: false, allow: [] });
  t.same(positionals, ['ws://x']);
});

t.test('given values, environment fallback, repeatable flags', async (t) => {
  const { values: v } = values(['a', '--port', '0', '--ttl', '2m', '--limit', '4GiB', '--n=8', '--mode', 'slow', '--quiet', '--allow', 'x', '--allow', 'y'], { TEST_TOKEN: 'sekrit' });
  t.same(v, { port: 0, ttl: 120_000, limit: 4 * 1024 ** 3, n: 8, token: 'sekrit', mode: 'slow', quiet: true, allow: ['x', 'y'] });
  t.equal(values(['a', '--token', 'flag'], { TEST_TOKEN: 'env' }).values.token, 'flag', 'the flag wins over the environment');
});

t.test('a variable set but empty or blank is refused, naming it, not taken as unset', async (t) => {
  // Before: read as unset, so the flag silently took its default (or none).
  const refused = (env: NodeJS.ProcessEnv) => { try { values(['a'], env); } catch (e) { return (e as Error).message; } return 'no error'; };
  t.equal(refused({ TEST_TOKEN: '' }), '$TEST_TOKEN is set but empty; unset it to leave --token out, give it a value, or give --token');
  t.equal(refused({ TEST_TOKEN: ' ' }), '$TEST_TOKEN is set but holds only whitespace; unset it to leave --token out, give it a value, or give --token');
  t.equal(values(['a', '--token', 'flag'], { TEST_TOKEN: '' }).values.token, 'flag', 'a given flag wins; the variable is not read');
  t.equal(values(['a'], {}).values.token, undefined, 'unset: no value');
});

t.test('envText: the same refusal for a variable that stands for no flag (the benchmarks\' settings)', async (t) => {
  t.equal(envText({ N: '5' }, 'N'), '5');
  t.equal(envText({}, 'N', { default: '3' }), undefined, 'unset: undefined, the caller\'s default applies');
  t.throws(() => envText({ N: '' }, 'N', { default: '3' }), { name: 'UsageError', message: '$N is set but empty; unset it for the default (3), or give it a value' });
  t.throws(() => envText({ DIR: ' ' }, 'DIR'), { name: 'UsageError', message: '$DIR is set but holds only whitespace; unset it to leave it out, or give it a value' });
});

t.test('bad values name the flag and the value', async (t) => {
  t.equal(usageError(['a', '--ttl', '0']), '--ttl must be from 100ms to 1h, got "0"');
  t.equal(usageError(['a', '--ttl', 'soon']), '--ttl must be a duration like 500ms, 30s, 2m or 8h, got "soon"');
  t.equal(usageError(['a', '--port', '65536']), '--port must be an integer from 0 to 65535, got "65536"');
  t.equal(usageError(['a', '--limit', '0']), '--limit must be from 1MiB to 1TiB, got "0"');
  t.equal(usageError(['a', '--n', '1.5']), '--n must be an integer from 1 to 64, got "1.5"');
  t.equal(usageError(['a', '--mode', 'medium']), '--mode must be one of fast, slow, got "medium"');
  // A negative number is the flag's value, judged like any other (node's parseArgs said only
  // "argument is ambiguous … use '--n=-XYZ'").
  t.equal(usageError(['a', '--n', '-1']), '--n must be an integer from 1 to 64, got "-1"');
  t.equal(usageError(['a', '--port', '-8786']), '--port must be an integer from 0 to 65535, got "-8786"');
  t.equal(usageError(['a', '--ttl', '-5s']), '--ttl must be a duration like 500ms, 30s, 2m or 8h, got "-5s"');
  t.match(usageError(['a', '--token', '--quiet']), /argument is ambiguous/, 'a flag after a value-taking flag is still not taken as its value');
  t.equal(usageError(['a', '--bogus']), "Unknown option '--bogus'", 'nothing near: no suggestion');
  // A misspelt flag names the one it most likely is (it said only "Unknown option '--prot'").
  t.equal(usageError(['a', '--prot', '1']), "Unknown option '--prot' (did you mean --port?)");
  t.equal(usageError(['a', '--quite']), "Unknown option '--quite' (did you mean --quiet?)");
  t.equal(usageError(['a', '--Limit=2GiB']), "Unknown option '--Limit' (did you mean --limit?)");
  // A port number as a word where none is taken (`gluon-scheduler 28786`) names --port with it.
  const bare = (argv: string[], flags: FlagTable) => {
    try {
      parseCli({ name: 'demo', version: '1', usage: '[options]', description: 'A demo.', flags }, argv, {});
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  t.equal(bare(['28786'], { port: flags.port }), "Unexpected argument '28786'. This command does not take positional arguments (did you mean --port 28786?)");
  t.equal(bare(['65536'], { port: flags.port }), "Unexpected argument '65536'. This command does not take positional arguments", 'not a port: no hint');
  t.equal(bare(['28786'], { ttl: flags.ttl }), "Unexpected argument '28786'. This command does not take positional arguments", 'no --port: no hint');
  t.match(usageError([]), /expected 1 address, got 0/);
  t.match(usageError(['a', 'b']), /expected 1 address, got 2 \(a b\)/);
  // A list after one flag, as `gluon-cluster ssh --hosts login1 node1 node2` was typed: its
  // message named only the stray words, not the flag they were meant for.
  t.equal(usageError(['a', '--allow', 'x', 'y', 'z']),
    'expected 1 address, got 3 (a y z): y z follow --allow x, and a flag takes one value; repeat the flag for each: --allow x --allow y --allow z');
  t.equal(usageError(['--port', '1', '2', 'a']), 'expected 1 address, got 2 (2 a): 2 a follow --port 1, and a flag takes one value');
  t.equal(usageError(['a', '--quiet', 'b']), 'expected 1 address, got 2 (a b)', 'a switch takes no value: no hint');
});

t.test('a spec\'s meant flags answer another tool\'s flag in place of the nearest spelling, with the value typed', async (t) => {
  // gluon-cluster's --qos was answered by the nearest spelling, "did you mean --jobs?".
  const meant = (name: string, value: string | undefined) => (name === 'qos' ? `--job-extra "--qos=${value ?? '…'}"?` : name === 'partition' ? '--queue?' : undefined);
  const withMeant = (argv: string[]) => {
    try {
      parseCli({ name: 'demo', version: '1', usage: 'A', description: 'A demo.', flags: { jobs: flag.int('jobs', 0, 9, '1') }, positionals: { min: 1, max: 1, name: 'a' }, meant }, argv, {});
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  t.equal(withMeant(['a', '--qos', 'high']), "Unknown option '--qos' (did you mean --job-extra \"--qos=high\"?)", 'its value as the next word');
  t.equal(withMeant(['a', '--qos=high']), "Unknown option '--qos' (did you mean --job-extra \"--qos=high\"?)", 'its value after =');
  t.equal(withMeant(['a', '--qos', '--jobs', '2']), "Unknown option '--qos' (did you mean --job-extra \"--qos=…\"?)", 'a flag next is no value');
  t.equal(withMeant(['a', '--partition', 'short']), "Unknown option '--partition' (did you mean --queue?)");
  t.equal(withMeant(['a', '--job', '2']), "Unknown option '--job' (did you mean --jobs?)", 'one it does not know: the nearest spelling, as before');
});

t.test('--help describes every flag with its default; --version prints name and version', async (t) => {
  const help = parseCli(spec, ['--help'], {});
  t.ok('exit' in help);
  const text = (help as { exit: string }).exit;
  t.equal(text, helpText(spec));
  t.match(text, /^usage: demo \[options\] ADDR\n\nA demo\.\n/);
  t.match(text, /--ttl DURATION +silence before a peer is dead \(default 30s\)/);
  t.match(text, /--token T +secret \(or \$TEST_TOKEN\)/);
  t.match(text, /--allow SPEC +allowed module \(repeatable\)/);
  t.match(text, /--mode WORD +how \(fast, slow\) \(default fast\)/);
  t.match(text, /--version +print the version and exit/);
  t.same(parseCli(spec, ['--version'], {}), { exit: 'demo 1.2.3\n' });
});

t.test('--help: a help text of several lines keeps its later lines in the help column', async (t) => {
  // gluon-cluster's --no-tls printed its second line at the left margin, among the flags.
  const s: CliSpec<{ plain: ReturnType<typeof flag.switch>; n: ReturnType<typeof flag.int> }> = {
    name: 'x', version: '1', usage: '', description: '',
    flags: { plain: flag.switch('first line\n(second line)'), n: flag.int('threads', 1, 64, '1') },
  };
  const lines = helpText(s).split('\n');
  const first = lines.findIndex((l) => /--plain +first line$/.test(l));
  t.ok(first >= 0, 'the flag and its first line');
  const column = lines[first]!.indexOf('first line');
  t.equal(lines[first + 1], `${' '.repeat(column)}(second line)`, 'the second line starts under the first');
  t.match(lines[first + 2], /^  --n N +threads \(default 1\)$/, 'the next flag follows');
});

t.test('a list flag marked dashValue takes a value that starts with a dash', async (t) => {
  const s: CliSpec<{ extra: ReturnType<typeof flag.list> }> = { name: 'x', version: '1', usage: '', description: '', flags: { extra: flag.list('directive', 'D', { dashValue: true }) } };
  const r = parseCli(s, ['--extra', '--qos=high', '--extra', '-l place=scatter'], {});
  t.same('values' in r && r.values.extra, ['--qos=high', '-l place=scatter']);
});
