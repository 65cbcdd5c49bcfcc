/**
 * Node/V8 flags for Gluon's own processes. The scheduler and the workers each have flags they
 * run best with (see their `v8-flags.ts`); V8 reads them only at start-up, so a CLI started
 * without them runs itself again as a child that has them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { isShell, parentPidOf } from './proc-parent.js';

/**
 * Parses a `--v8-flags` value: whitespace-separated `--name` or `--name=value` words. Throws an
 * error naming the offending word otherwise.
 */
export function parseV8Flags(text: string, option = '--v8-flags'): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  for (const w of words) {
    if (!/^--[a-z0-9][a-z0-9_-]*(=\S+)?$/i.test(w)) throw new Error(`${option}: "${w}" is not a V8 flag (expected --name or --name=value)`);
  }
  return words;
}

function flagName(flag: string): string {
  return flag.split('=')[0]!.replace(/_/g, '-');
}

/**
 * The flags of `wanted` this process was not started with. A flag counts as given when node's
 * command line or NODE_OPTIONS has a flag of the same name, whatever its value: flags set by hand
 * win over ours.
 */
export function missingV8Flags(wanted: readonly string[], execArgv: readonly string[] = process.execArgv,
                               nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  const have = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return wanted.filter((f) => !have.has(flagName(f)));
}

/**
 * Makes this process a supervisor of `script` run once per entry of `argsPerChild`, each child
 * with `flags` added to node's: SIGINT and SIGTERM are forwarded, and this process exits once
 * every child has, with the first non-zero status (a child killed by a signal counts as 1), else
 * 0. Children should call {@link stopWithSupervisor}; so does the supervisor itself (it stops its
 * children when npm, or its own supervisor, goes away). Used to rerun a CLI with its V8 flags and
 * for `gluon-worker --nworkers`. `opts.env`: the children's environment (secrets go there, not
 * on their command lines, see `envWithToken`).
 */
export function superviseChildren(script: string | URL, argsPerChild: readonly string[][], flags: readonly string[],
                                  opts: { env?: NodeJS.ProcessEnv; name?: string; what?: string } = {}): ChildProcess[] {
  let live = argsPerChild.length;
  let status = 0;
  // Signals passed on to the children: a child ended by one of those was stopped by the user.
  const forwarded = new Set<NodeJS.Signals>();
  const children = argsPerChild.map((args) => {
    const child = fork(script, args, { stdio: 'inherit', execArgv: [...process.execArgv, ...flags], ...(opts.env ? { env: opts.env } : {}) });
    child.on('exit', (code, signal) => {
      const st = code ?? (signal ? 1 : 0);
      if (st && !status) status = st;
      // Killed from outside (the OOM killer, kill -9 of its pid): it could say nothing itself,
      // and the terminal that started the CLI showed nothing at all before it ended.
      const last = --live === 0;
      if (signal && !forwarded.has(signal) && opts.name) process.stderr.write(`${signalDeathText(opts.name, opts.what ?? 'its process', child.pid, signal, last ? status : undefined)}\n`);
      if (last) process.exit(status);
    });
    return child;
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      forwarded.add(sig);
      children.forEach((c) => c.kill(sig));
    });
  }
  stopWithSupervisor(() => {
    forwarded.add('SIGTERM');
    children.forEach((c) => c.kill('SIGTERM'));
  });
  return children;
}

/**
 * What a supervisor says when its child (`what`: `the scheduler`) was killed by `signal` it did
 * not pass on, and the status it exits with when that was its last child. SIGKILL is what the
 * kernel's out-of-memory killer sends, and leaves no trace but the kernel's log.
 */
export function signalDeathText(name: string, what: string, pid: number | undefined, signal: NodeJS.Signals, exiting?: number): string {
  const oom = signal === 'SIGKILL' ? ' (the kernel\'s out-of-memory killer sends SIGKILL; `dmesg` or `journalctl -k` says whether it did)' : '';
  return `${name}: ${what} (pid ${pid ?? '?'}) was killed by ${signal}${oom}${exiting === undefined ? '' : `; exiting ${exiting}`}`;
}

/**
 * Calls `stop` once whoever started this process is gone: a supervisor (this process has its IPC
 * channel; works even after kill -9), or npm (`npx gluon-worker`, `npm exec`, `npm run`): npm
 * passes a SIGINT or SIGTERM sent to it alone only to the shell it runs the command through
 * (`sh -c 'gluon-worker …'`), which dies of the SIGTERM and leaves the command running, and a
 * killed npm passes nothing; without this the CLI and its children would run on, orphaned. `stop`
 * is told why, for the process's log ({@link supervisorGoneText}; `supervisor` names the
 * supervisor's command, e.g. `gluon-worker`). A SIGINT the shell holds: see {@link npmShellPid}.
 */
export function stopWithSupervisor(stop: (why: string) => void, supervisor = 'its supervisor'): void {
  // Read now: once the supervisor is gone this process is re-parented, and ppid names another.
  const parent = process.ppid;
  if (process.send) {
    // 'disconnect' is emitted once, when the channel closes: a supervisor that died before this
    // call (while the CLI started: the scheduler registers once it listens) was never heard of,
    // and the process ran on orphaned. A closed channel says so now (`parent` is then no longer
    // the supervisor's pid, which is lost); stopped once the caller's code has run, as by the event.
    if (!process.connected) queueMicrotask(() => stop(supervisorGoneText(supervisor)));
    else process.on('disconnect', () => stop(supervisorGoneText(supervisor, parent)));
  } else if (process.env.npm_command !== undefined) stopWhenOrphaned(() => stop(`the npm that ran it (pid ${parent}) exited`));
}

/**
 * The pid of the shell npm runs this process through (`npx`, `npm exec`, `npm run`:
 * `sh -c 'gluon-cluster …'`) while it is this process's parent, else undefined (not started by
 * npm, or the shell exec'd the command: bash, macOS's sh). npm passes a SIGINT sent to it alone
 * (`kill -INT <npm's pid>`, not its process group as Ctrl-C does) on to that shell only, and a
 * `sh -c` waiting for its command holds a SIGINT until the command ends (dash, Debian's and
 * Ubuntu's sh, catches it and then ends as the command did): the command never sees it. A CLI
 * says so, naming its own pid, which a SIGINT does reach.
 */
export function npmShellPid(): number | undefined {
  return process.env.npm_command !== undefined && isShell(process.ppid) ? process.ppid : undefined;
}

/**
 * Why a supervised process stops when its supervisor's IPC channel closed (`supervisor`: its
 * command, `pid`: its process, unknown when the channel had closed before the process looked). A supervisor that stops (SIGINT, SIGTERM) passes the signal on
 * and waits for its children, so a child that sees the channel close first was left by one
 * that was killed (kill -9, the kernel's out-of-memory killer) or crashed: not a clean stop.
 * The child's log said only `parent exited`, naming no process and nothing of how it ended.
 */
export function supervisorGoneText(supervisor: string, pid?: number): string {
  return `its supervisor ${supervisor}${pid === undefined ? ' (gone before this process was ready: its pid is not known)' : ` (pid ${pid})`} ended without stopping it: killed (kill -9, the kernel's out-of-memory killer) or crashed, not a clean stop`;
}

/**
 * Calls `stop` once this process's parent has exited (it is then re-parented), or, when the parent
 * is a shell, once the shell's parent has: npm runs a bin as `sh -c …`, and a killed npm (kill -9:
 * nothing is passed on) leaves that shell waiting on this process, so the parent alone never
 * changes. Checks twice a second.
 */
export function stopWhenOrphaned(stop: () => void, everyMs = 500): void {
  const parent = process.ppid;
  const shellsParent = isShell(parent) ? parentPidOf(parent) : undefined;
  const timer = setInterval(() => {
    if (process.ppid === parent) {
      if (shellsParent === undefined) return;
      const now = parentPidOf(parent);
      if (now === undefined || now === shellsParent) return;
    }
    clearInterval(timer);
    stop();
  }, everyMs);
  timer.unref();
}
