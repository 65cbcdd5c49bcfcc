/**
 * Start-up failures that are not usage errors. A Gluon CLI exits 2 with a pointer to `--help`
 * when its command line cannot work as written (an unknown flag, a bad value, flags that exclude
 * each other); when the command line is fine but something it names cannot be had (a port in use,
 * a certificate or token file that cannot be read or holds the wrong thing, a socket path taken or
 * not permitted), `--help` cannot help: it exits 1 with a message naming that resource.
 */

/** A start-up failure about a resource the command line names (a file, an address): exit 1, no --help pointer. */
export class StartFailure extends Error {
  override name = 'StartFailure';
}

/** Prints `<name>: <msg>` on stderr, without the --help pointer, and exits 1. */
export function exitStartFailure(name: string, msg: string): never {
  process.stderr.write(`${name}: ${msg}\n`);
  process.exit(1);
}
