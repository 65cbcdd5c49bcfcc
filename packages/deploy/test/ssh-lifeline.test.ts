import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostScriptOf } from '../src/ssh.js';
import { until } from '../../../test/helpers/until.js';

/** TERM, INT and HUP in /proc's signal masks: bit n - 1. */
const NOTED = 1n << 14n | 1n << 1n | 1n;

/**
 * The lifeline of an SSHCluster host's script (what `ssh HOST bash -s` runs) signals nothing but
 * the script's own processes. It sent `kill -TERM "$pid"` when the session's stdin closed: once the
 * host's process had ended and been reaped, that pid could be another process's. Here the script
 * runs as sshd runs it (`bash -s`, the script then the token on stdin, stdin kept open as the
 * lifeline) in a pid namespace of its own, where the test decides which pid the next process gets
 * (/proc/sys/kernel/ns_last_pid): the window is opened wide and on purpose — the script's shell is
 * killed (SIGKILL: a SIGTERM or hang-up now stops the host's process with it, and the lifeline's
 * reader), the host's process ends by itself (a worker's --lifetime) and another process is
 * given its pid, then the session ends.
 * Skips, saying why, without root, unshare and nsenter.
 */
function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (a pid namespace of its own, and choosing its next pid, need it)';
  for (const c of ['unshare', 'nsenter']) if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0) return `no ${c} (util-linux)`;
  if (!existsSync('/proc/sys/kernel/ns_last_pid')) return 'no /proc/sys/kernel/ns_last_pid (a kernel without checkpoint/restore)';
  return undefined;
}

/** A process of the pid namespace `ns` (its /proc/PID/ns/pid link): its pid here and there, its command line, whether a signal is pending or it has ended. */
interface Member { root: number; ns: number; cmd: string; signalled: boolean }

function members(ns: string): Member[] {
  const out: Member[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${p}/ns/pid`) !== ns) continue;
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
      const pending = ['SigPnd', 'ShdPnd'].some((k) => !/^0+$/.test(new RegExp(`^${k}:\\s+(\\S+)$`, 'm').exec(status)?.[1] ?? '0'));
      const zombie = /^State:\s+Z/m.test(status);
      out.push({ root: Number(p), ns: nspid[nspid.length - 1]!, cmd: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(), signalled: pending || zombie });
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

t.test('the lifeline closing stops the host\'s process with a SIGTERM; the script exits with the process\'s own status', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-lifeline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Says its pid and, on SIGTERM, that it had one, and exits 7 (a worker handing its work back, then exiting).
  // It waits in a read of a FIFO nobody writes to (a builtin: no child of its own to be signalled too and said "Terminated").
  mkfifo(join(dir, 'hold'));
  writeFileSync(join(dir, 'process.sh'), `trap 'echo TERM > "$1/got"; exit 7' TERM\necho $$ > "$1/pid.tmp" && mv "$1/pid.tmp" "$1/pid"\nread -r _ <> "$1/hold"\n`);
  const script = hostScriptOf('worker', 'test-host', false, [`bash ${join(dir, 'process.sh')} ${dir} </dev/null &`, 'pid=$!']);
  // A session of its own, as sshd gives the command it runs.
  const host = spawn('bash', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  t.teardown(() => { try { process.kill(-host.pid!, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  host.stdout!.on('data', (d) => (out += d));
  host.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((r) => host.once('exit', (c, sig) => r(c ?? sig ?? -1)));
  host.stdin!.write(`${script}the-token\n`);
  await until(() => (existsSync(join(dir, 'pid')) && scriptSetUp(host.pid!)) || host.exitCode !== null, 'the host\'s process started, and the script set up');
  host.stdin!.end();
  // A wait cut short by the lifeline's SIGTERM, made again, lost it now and then (255).
  t.equal(await exited, 7, `the script exits with the process's status:\n${out}`);
  t.equal(readFileSync(join(dir, 'got'), 'utf8'), 'TERM\n', 'the process got the SIGTERM');
  t.equal(out, '', 'nothing said (no job notices)');
});

/**
 * Starts the host script for a process that exits 3 at once, as sshd runs it, its stdin a FIFO the
 * test keeps open (a pipe's end would be closed by node once bash exits): the script's shell, its
 * exit, and what it said.
 */
function startEndingAtOnce(t: Test, dir: string, name: string) {
  const script = hostScriptOf('worker', 'test-host', false, [`bash ${join(dir, 'process.sh')} </dev/null &`, 'pid=$!']);
  mkfifo(join(dir, name));
  const stdin = openSync(join(dir, name), 'r+');
  t.teardown(() => closeSync(stdin));
  writeSync(stdin, `${script}the-token\n`);
  const host = spawn('bash', ['-s'], { stdio: [stdin, 'pipe', 'pipe'], detached: true });
  t.teardown(() => { for (const l of inSession(host.pid!)) { try { process.kill(Number(l.split(' ')[0]), 'SIGKILL'); } catch { /* gone */ } } });
  const said = { out: '' };
  host.stdout!.on('data', (d) => (said.out += d));
  host.stderr!.on('data', (d) => (said.out += d));
  const exited = new Promise<number | string>((r) => host.once('exit', (c, sig) => r(c ?? sig ?? -1)));
  return { host, said, exited };
}

function exitingAtOnce(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-lifeline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'process.sh'), 'exit 3\n');
  return dir;
}

t.test('the host\'s process ending by itself ends the script with its status, the session still open, and the lifeline\'s reader with it', async (t) => {
  const { host, said, exited } = startEndingAtOnce(t, exitingAtOnce(t), 'stdin');
  t.equal(await exited, 3, `the script exits with the process's status, its stdin still open:\n${said.out}`);
  // Nothing of the script is left (its session is the one spawn made for bash): the reader of
  // the lifeline, not stopped, would wait for the stdin to close.
  await until(() => inSession(host.pid!).length === 0, `the script's processes ended: ${JSON.stringify(inSession(host.pid!))}`);
  t.equal(said.out, '', 'nothing said');
});

t.test('scripts started together whose processes end at once: every reader ends, even one whose trap was not yet set', async (t) => {
  // The process ended and the script's subshell sent its SIGHUP before the reader it had just
  // forked set its trap, so the reader ignored it (as the subshell does) and read the open session
  // on: 6-12 of 30 scripts started together, 1 test run in 5 beside 8 other test files.
  const dir = exitingAtOnce(t);
  const runs = Array.from({ length: 24 }, (_, i) => startEndingAtOnce(t, dir, `stdin${i}`));
  t.same(await Promise.all(runs.map((r) => r.exited)), runs.map(() => 3), 'each script exits with the process\'s status');
  const left = () => runs.flatMap((r) => inSession(r.host.pid!));
  await until(() => left().length === 0, `every script's processes ended: ${JSON.stringify(left())}`);
  t.same(runs.map((r) => r.said.out), runs.map(() => ''), 'nothing said');
});

/**
 * Runs `hostScriptOf` for `process.js` in `dir` as sshd runs it (`bash -s` in a session of its
 * own, the script then the token on stdin, kept open as the lifeline): the script's shell, what
 * it says, and its exit (a status, or the signal it died of). `process` replaces the command of
 * `dir/process.js` (given `dir` too); `before` is read by the shell ahead of the script.
 */
function runHostScript(t: Test, dir: string, o: { stopGraceS?: number; process?: string; before?: string } = {}) {
  const script = (o.before ?? '') + hostScriptOf('worker', 'test-host', false, [`${o.process ?? `${process.execPath} ${join(dir, 'process.js')}`} ${dir} </dev/null &`, 'pid=$!'], o);
  const host = spawn('bash', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  // The whole session: the host's process and what it started are in a group of their own.
  t.teardown(() => { for (const l of inSession(host.pid!)) { try { process.kill(Number(l.split(' ')[0]), 'SIGKILL'); } catch { /* gone */ } } });
  const said = { out: '' };
  host.stdout!.on('data', (d) => (said.out += d));
  host.stderr!.on('data', (d) => (said.out += d));
  const exited = new Promise<number | string>((r) => host.once('exit', (c, sig) => r(c ?? sig ?? -1)));
  host.stdin!.write(`${script}the-token\n`);
  t.teardown(() => { host.stdin!.destroy(); });
  return { host, said, exited };
}

/** Whether process `pid` has ended (gone, or a zombie nobody has reaped yet). */
function ended(pid: number): boolean {
  try {
    return /^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

for (const [sig, n] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]] as const) {
  t.test(`a ${sig} to the script's shell goes to the host's process, and the script exits ${128 + n} once that process has ended`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-lifeline-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // Says its pid; on the signal, which it got, and exits 7 a moment later (a worker handing its work back).
    writeFileSync(join(dir, 'process.js'), [
      'const { writeFileSync, renameSync } = require("node:fs");',
      'const dir = process.argv[2];',
      'for (const s of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(s, () => { writeFileSync(dir + "/got", s); setTimeout(() => { writeFileSync(dir + "/done", ""); process.exit(7); }, 200); });',
      'writeFileSync(dir + "/pid.tmp", String(process.pid)); renameSync(dir + "/pid.tmp", dir + "/pid");',
      'setInterval(() => {}, 1 << 30);',
    ].join('\n'));
    const { host, said, exited } = runHostScript(t, dir);
    await until(() => (existsSync(join(dir, 'pid')) && scriptSetUp(host.pid!)) || host.exitCode !== null, 'the host\'s process started, and the script set up');
    process.kill(host.pid!, sig);
    // It exited at once, of the signal, and the process ran on until the session closed.
    const exit = await exited;
    t.equal(exit, 128 + n, `the script exits ${128 + n}, said as a signal's:\n${said.out}`);
    t.equal(existsSync(join(dir, 'got')) ? readFileSync(join(dir, 'got'), 'utf8') : 'nothing', sig, `the process got the ${sig}`);
    t.ok(existsSync(join(dir, 'done')), 'the process had ended when the script exited');
    t.equal(said.out, '', 'nothing said (no job notices)');
    // The lifeline's reader ends too (a script that died of the signal leaves the whole group).
    if (exit === 128 + n) await until(() => inSession(host.pid!).length === 0, `the script's processes ended: ${JSON.stringify(inSession(host.pid!))}`);
  });
}

t.test('a SIGTERM to the script\'s shell just after it started the process\'s group is not lost: the process is stopped, the script exits 143', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-lifeline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkfifo(join(dir, 'hold'));
  writeFileSync(join(dir, 'process.sh'), `trap 'echo TERM > "$1/got"; exit 7' TERM\necho $$ > "$1/pid.tmp" && mv "$1/pid.tmp" "$1/pid"\nread -r _ <> "$1/hold"\n`);
  // The moment held open: a DEBUG trap (inherited by main, set -T) stops the script's shell on a
  // FIFO just after it has started the group, before its next line, until the test lets it go.
  // Its traps were set only after that line: the SIGTERM then killed the shell.
  mkfifo(join(dir, 'gate'));
  const hold = `set -T; trap '[[ $BASH_COMMAND != group=* ]] || read -r _ <> "${join(dir, 'gate')}"' DEBUG\n`;
  const { host, said, exited } = runHostScript(t, dir, { process: `bash ${join(dir, 'process.sh')}`, before: hold });
  // The process started, and the group's shell ignores the signals (as it does once the process
  // has started): the shell of the script is then held at the gate.
  await until(() => (existsSync(join(dir, 'pid')) && groupSetUp(host.pid!)) || host.exitCode !== null, 'the host\'s process started, its group\'s shell set up');
  process.kill(host.pid!, 'SIGTERM');
  const gate = openSync(join(dir, 'gate'), 'r+');
  t.teardown(() => closeSync(gate));
  writeSync(gate, 'go\n');
  t.equal(await exited, 143, `the script exits 143, having stopped the process:\n${said.out}`);
  t.equal(existsSync(join(dir, 'got')) ? readFileSync(join(dir, 'got'), 'utf8') : 'nothing', 'TERM\n', 'the process got the SIGTERM from the script');
  t.equal(said.out, '', 'nothing said');
});

/**
 * A directory whose `process.js` ignores SIGTERM (saying it got one) and has a child of its own in
 * its group (what a worker started); it says both pids in `pid`.
 */
function stubbornProcessDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-lifeline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'process.js'), [
    'const { spawn } = require("node:child_process");',
    'const { writeFileSync, renameSync } = require("node:fs");',
    'const dir = process.argv[2];',
    'process.on("SIGTERM", () => writeFileSync(dir + "/got", "SIGTERM"));',
    'const child = spawn("sleep", ["100000"], { stdio: "ignore" });',
    'writeFileSync(dir + "/pid.tmp", `${process.pid} ${child.pid}`); renameSync(dir + "/pid.tmp", dir + "/pid");',
    'setInterval(() => {}, 1 << 30);',
  ].join('\n'));
  return dir;
}

t.test('a host\'s process still running after the grace once the script\'s shell got a SIGTERM gets a SIGKILL, with its group', async (t) => {
  const dir = stubbornProcessDir(t);
  const { host, said, exited } = runHostScript(t, dir, { stopGraceS: 1 });
  await until(() => (existsSync(join(dir, 'pid')) && scriptSetUp(host.pid!)) || host.exitCode !== null, 'the host\'s process started, and the script set up');
  const [pid, child] = readFileSync(join(dir, 'pid'), 'utf8').split(' ').map(Number);
  process.kill(host.pid!, 'SIGTERM');
  if (t.equal(await exited, 143, `the script exits 143:\n${said.out}`)) {
    t.equal(existsSync(join(dir, 'got')) ? readFileSync(join(dir, 'got'), 'utf8') : 'nothing', 'SIGTERM', 'the process got the SIGTERM first');
    await until(() => ended(pid!) && ended(child!), 'the process and its child ended');
    t.equal(said.out, 'gluon: the worker still running 1 s after SIGTERM: SIGKILL to its process group\n', 'said why');
  }
});

t.test('a host\'s process still running after the grace once the lifeline closed gets a SIGKILL, with its group', async (t) => {
  const dir = stubbornProcessDir(t);
  const { host, said, exited } = runHostScript(t, dir, { stopGraceS: 1 });
  await until(() => (existsSync(join(dir, 'pid')) && scriptSetUp(host.pid!)) || host.exitCode !== null, 'the host\'s process started, and the script set up');
  const [pid, child] = readFileSync(join(dir, 'pid'), 'utf8').split(' ').map(Number);
  host.stdin!.end();
  // It got the SIGTERM alone, and it and its child ran on after the session had ended.
  await until(() => ended(pid!) && ended(child!), 'the process and its child ended');
  t.equal(readFileSync(join(dir, 'got'), 'utf8'), 'SIGTERM', 'the process got the SIGTERM first');
  t.equal(await exited, 137, `the script exits with the process's status (SIGKILL):\n${said.out}`);
  t.equal(said.out, 'gluon: the worker still running 1 s after SIGTERM: SIGKILL to its process group\n', 'said why');
  await until(() => inSession(host.pid!).length === 0, `the script's processes ended: ${JSON.stringify(inSession(host.pid!))}`);
});

const why = unavailable();
if (why) {
  t.skip(`the lifeline signals only the script's processes: ${why}`, () => {});
} else {
  t.test('the session ending after the host\'s process ended by itself, its pid now another\'s: that process gets no signal', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-lifeline-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // The host's process: says its pid, ends when the test writes a line to its FIFO. It opens the
    // FIFO (read-write: no wait for a writer) before it says its pid: a line written and closed
    // before any reader has it open is dropped with the pipe, and the process would wait for ever.
    mkfifo(join(dir, 'end'));
    writeFileSync(join(dir, 'process.sh'), `exec 3<> "$1/end"\necho $$ > "$1/pid.tmp" && mv "$1/pid.tmp" "$1/pid"\nread -r _ <&3\nexit 0\n`);
    chmodSync(join(dir, 'process.sh'), 0o755);
    const script = hostScriptOf('worker', 'test-host', false, [`bash ${join(dir, 'process.sh')} ${dir} </dev/null &`, 'pid=$!']);
    // pid 1 of the namespace is a shell that runs the script (as sshd does: bash -s, stdin a pipe),
    // then waits on a FIFO nobody writes to, reaping what is left to it meanwhile.
    mkfifo(join(dir, 'keep'));
    const host = spawn('unshare', ['--pid', '--fork', '--kill-child', 'bash', '-c', 'bash -s; read -r _ < "$0"', join(dir, 'keep')], { stdio: ['pipe', 'pipe', 'pipe'] });
    host.stdout!.resume();
    host.stderr!.resume();
    t.teardown(() => { host.kill('SIGKILL'); });
    host.stdin!.write(`${script}the-token\n`);
    await until(() => existsSync(join(dir, 'pid')) || host.exitCode !== null, 'the host\'s process started');
    const hostPid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    const init = childOf(host.pid!);
    const ns = readlinkSync(`/proc/${init}/ns/pid`);
    // Not always pid 2 there: a fork that fails (EAGAIN, on a machine short of pids) still uses one up.
    const shell = members(ns).find((m) => m.cmd === 'bash -s' && parentOf(m.root) === init);
    t.ok(shell, `the script's shell, the child of pid 1 there: ${JSON.stringify(members(ns))}`);
    // The script's shell killed: the lifeline, and the host's process, outlive it.
    process.kill(shell!.root, 'SIGKILL');
    await until(() => !members(ns).some((m) => m.ns === shell!.ns && !m.signalled), 'the script\'s shell ended');
    // The host's process ends by itself, and is reaped.
    const end = openSync(join(dir, 'end'), 'r+');
    writeSync(end, 'go\n');
    closeSync(end);
    await until(() => !members(ns).some((m) => m.ns === hostPid), `pid ${hostPid} free again`);
    // Another process gets its pid: the next pid there is set to it, then one process is started
    // (again, at most 20 times, if a fork that failed used it up: the one started is ended).
    const place = `for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo ${hostPid - 1} > /proc/sys/kernel/ns_last_pid; sleep 100000 & p=$!; [ "$p" != ${hostPid} ] || break; kill "$p"; wait "$p"; done`;
    const other = spawn('nsenter', ['-t', String(init), '--pid', '--', 'bash', '-c', `${place} 2>/dev/null; echo "$p"; wait "$p"; echo "ended $?"`], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => { other.kill('SIGKILL'); });
    let said = '';
    other.stdout!.on('data', (d) => (said += d));
    await until(() => /^\d+$/m.test(said) || other.exitCode !== null, 'the other process started');
    t.equal(Number(/^(\d+)$/m.exec(said)?.[1]), hostPid, `the other process has pid ${hostPid}, the host's process's`);
    const victim = members(ns).find((m) => m.ns === hostPid);
    t.match(victim?.cmd, /^sleep /, 'it is the sleep started for it');
    // The session ends: the lifeline closes. Wait for every process of the script to be gone.
    host.stdin!.end();
    const others = () => members(ns).filter((m) => m.ns !== 1 && m.ns !== hostPid && !/^bash -c for i in /.test(m.cmd));
    await until(() => others().length === 0, 'the script\'s processes ended');
    const after = members(ns).find((m) => m.ns === hostPid);
    t.ok(after && !after.signalled, `pid ${hostPid}, not the script's any more, got no signal (${JSON.stringify(after)}; it said: ${said.trim()})`);
  });
}

/**
 * Whether the script that the shell `sh` runs is set up: its shell notes TERM, INT and HUP (its
 * traps, set before it starts the process's group) and that group's shell ignores them (set once
 * it has started the process). The process saying its pid does not say the second: on a loaded
 * machine it can say it before the group's shell has run its next line, and a signal sent to the
 * group then ends that shell (the script's exit 143, the process not waited for).
 */
function scriptSetUp(sh: number): boolean {
  return (mask(sh, 'SigCgt') & NOTED) === NOTED && groupSetUp(sh);
}

/** Whether the group the script's shell `sh` started has a shell that ignores TERM, INT and HUP. */
function groupSetUp(sh: number): boolean {
  const group = processes().find((p) => p.ppid === sh && p.pgrp === p.pid);
  return group !== undefined && (mask(group.pid, 'SigIgn') & NOTED) === NOTED;
}

/** Every process here: its pid, parent and process group. */
function processes(): { pid: number; ppid: number; pgrp: number }[] {
  const out: { pid: number; ppid: number; pgrp: number }[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: the fields after the command's closing parenthesis.
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(p), ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

/** A signal mask of process `pid` (`SigCgt`, `SigIgn`, …), 0 once it has ended. */
function mask(pid: number, which: string): bigint {
  try {
    return BigInt(`0x${new RegExp(`^${which}:\\s+([0-9a-f]+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0'}`);
  } catch {
    return 0n;
  }
}

/** The processes (pid and command line) of session `sid`. */
function inSession(sid: number): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // pid (comm) state ppid pgrp session …: the fields after the command's closing parenthesis.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]) === sid) out.push(`${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

/** The parent of process `pid`, here. */
function parentOf(pid: number): number | undefined {
  try {
    return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/** The pid of the first child of `pid` (unshare's: pid 1 of its namespace), here. */
function childOf(pid: number): number {
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] === String(pid)) return Number(p);
    } catch {
      // Ended meanwhile.
    }
  }
  throw new Error(`no child of ${pid}`);
}

/** Makes a FIFO at `path`. */
function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}
