import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTokenOption, envWithToken, resolveToken, tokenFromEnv, tokenSource, TOKEN_SOURCE_VAR } from '../../src/index.js';

/** One token, whether it comes from --token, a --token-file or GLUON_TOKEN, and the API option's own rule. */

t.test('GLUON_TOKEN is taken as a token file is: surrounding whitespace removed, whitespace inside refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  for (const raw of ['tk\n', ' tk ', '\ttk\r\n', 'tk']) {
    writeFileSync(file, raw, { mode: 0o600 });
    const fromFile = resolveToken({ 'token-file': file }, {});
    t.equal(fromFile, 'tk', `file ${JSON.stringify(raw)}`);
    t.equal(tokenFromEnv({ GLUON_TOKEN: raw }), fromFile, `GLUON_TOKEN=${JSON.stringify(raw)} is the same token as the file`);
    t.equal(resolveToken({}, { GLUON_TOKEN: raw }), fromFile, 'through resolveToken too');
    t.equal(resolveToken({ token: raw }, {}), fromFile, `--token ${JSON.stringify(raw)} too`);
  }
  t.throws(() => tokenFromEnv({ GLUON_TOKEN: 'tk other' }), { message: 'GLUON_TOKEN holds more than one word; it must hold the token alone' });
  t.throws(() => tokenFromEnv({ GLUON_TOKEN: ' tk\nother\n' }), { message: 'GLUON_TOKEN holds more than one word; it must hold the token alone' });
  writeFileSync(file, 'tk other\n', { mode: 0o600 });
  t.throws(() => resolveToken({ 'token-file': file }, {}), { message: `--token-file ${file} holds more than one word; it must hold the token alone` });
  t.throws(() => resolveToken({ token: 'tk other' }, {}), { message: '--token holds more than one word; it must hold the token alone' });
  t.throws(() => tokenFromEnv({ GLUON_TOKEN: ' \n' }), { message: 'GLUON_TOKEN is set but holds only whitespace (" \\n"); unset it to run without a token, or set it to the cluster\'s token' });
  t.equal(tokenFromEnv({}), undefined, 'unset: no token');
});

t.test('a child given the token through its environment reads back the same token', async (t) => {
  t.equal(tokenFromEnv(envWithToken(tokenFromEnv({ GLUON_TOKEN: 'tk\n' })!, {})), 'tk');
});

t.test('how the user gave the token is named, and reaches a child that gets the token in GLUON_TOKEN, without the token', async (t) => {
  t.equal(tokenSource({ token: 'tk' }, { GLUON_TOKEN: 'other' }), '--token T', '--token wins, and its value is not repeated');
  t.equal(tokenSource({ 'token-file': 'etc/token' }, { GLUON_TOKEN: 'other' }), '--token-file etc/token', 'the path as given');
  t.equal(tokenSource({}, { GLUON_TOKEN: 'tk' }), 'GLUON_TOKEN');
  t.equal(tokenSource({}, {}), undefined, 'no token: no way named');
  for (const how of ['--token T', '--token-file etc/token', 'GLUON_TOKEN']) {
    const env = envWithToken('tk', { PATH: '/bin' }, how);
    t.same(env, { PATH: '/bin', GLUON_TOKEN: 'tk', [TOKEN_SOURCE_VAR]: how }, `${how}: the token and the way`);
    t.equal(tokenSource({}, env), how, `${how}: named by the child`);
  }
  t.same(envWithToken(undefined, { GLUON_TOKEN: 'x', [TOKEN_SOURCE_VAR]: '--token T' }, '--token T'), {}, 'no token: neither reaches the child');
  t.equal(tokenSource({}, { GLUON_TOKEN: 'tk', [TOKEN_SOURCE_VAR]: 'sesame' }), 'GLUON_TOKEN', 'another value of the variable (set by hand) is not believed');
  t.equal(tokenSource({}, { [TOKEN_SOURCE_VAR]: '--token T' }), undefined, 'nor is it without a token');
});

t.test('the API option is used as given, so whitespace in it is refused with what to do, naming the call', async (t) => {
  t.doesNotThrow(() => checkTokenOption('tk', 'Client.connect'));
  t.doesNotThrow(() => checkTokenOption(undefined, 'Client.connect'));
  t.throws(() => checkTokenOption('tk\n', 'Scheduler.start'), { name: 'RangeError', message: 'Scheduler.start: token "tk\\n" holds whitespace around it (a newline read with the file?); give the token alone (trim it)' });
  t.throws(() => checkTokenOption('tk other', 'GluonWorker'), { name: 'RangeError', message: 'GluonWorker: token "tk other" holds whitespace; give the token alone' });
  t.throws(() => checkTokenOption(' ', 'LocalCluster.start'), { name: 'RangeError', message: 'LocalCluster.start: token is only whitespace (" "); leave it out to run without a token, or give the cluster\'s token' });
});
