/**
 * The CA directory an SSHCluster makes here (`gluon-ssh-ca-XXXXXX`, its `tlsCa`) goes with the
 * process that made it, however that process ends: close() removes it, and so does the end of a
 * process that never reached close(). Found by the new-user trial: `gluon-cluster ssh` closed by
 * SIGHUP (its terminal or ssh connection gone) stopped every host's process, as their sessions
 * closed, but left the directory behind; so did a script that threw or called process.exit.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from './helpers.js';

const sshTls = pathToFileURL(join(repo, 'packages/deploy/dist/ssh-tls.js')).href;

/** Runs a process that makes a cluster's TLS material, prints its CA file, then ends by `end`. */
async function endsWith(end: string): Promise<{ caFile: string; output: string; status: number | string }> {
  const script = `const { makeSSHClusterTls } = await import(${JSON.stringify(sshTls)});
const tls = await makeSSHClusterTls(['127.0.0.1']);
process.stdout.write('ca ' + tls.caFile + '\\n');
${end}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const status = await new Promise<number | string>((r) => child.on('close', (c, s) => r(c ?? s ?? -1)));
  const caFile = /^ca (\S+)$/m.exec(output)?.[1];
  if (!caFile) throw new Error(`no CA file printed:\n${output}`);
  return { caFile, output, status };
}

t.test('the CA directory goes when the process ends without close(): a signal, process.exit, an uncaught error', async (t) => {
  for (const [how, end] of [
    ['SIGHUP', "process.kill(process.pid, 'SIGHUP'); setInterval(() => {}, 1 << 30);"],
    ['SIGTERM', "process.kill(process.pid, 'SIGTERM'); setInterval(() => {}, 1 << 30);"],
    ['process.exit', 'process.exit(3);'],
    ['an uncaught error', "throw new Error('the script failed');"],
  ] as const) {
    const { caFile, output, status } = await endsWith(end);
    t.not(status, 0, `${how}: the process did not end normally (${status})`);
    t.notOk(existsSync(dirname(caFile)), `${how}: ${dirname(caFile)} is gone\n${output}`);
  }
});

t.test('remove() removes it, and the end of the process after it is quiet', async (t) => {
  const { caFile, output, status } = await endsWith("await tls.remove(); process.stdout.write('removed\\n');");
  t.equal(status, 0, output);
  t.match(output, /^removed$/m);
  t.notOk(existsSync(dirname(caFile)));
});

t.test('while the process runs, the CA certificate is there for clients', async (t) => {
  const { caFile, output } = await endsWith("const fs = await import('node:fs'); process.stdout.write(fs.existsSync(tls.caFile) ? 'there\\n' : 'absent\\n');");
  t.match(output, /^there$/m);
  t.notOk(existsSync(dirname(caFile)), 'and gone after a normal end too');
});
