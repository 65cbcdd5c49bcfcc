/**
 * The process's memory figures, read so that a failure to read them never ends the process.
 * Node reads the resident set size from /proc/self/stat (`uv_resident_set_memory`), which takes
 * a file descriptor: with every descriptor in use (a flood of connections up to the process's
 * limit), `process.memoryUsage()` and `process.memoryUsage.rss()` throw EMFILE, and the
 * scheduler's dashboard sampler threw out of its timer and ended the scheduler. These return the
 * last reading instead (zeros before the first), which is what a figure of the moment before is
 * worth: the limits they feed (a worker's memory pause, the scheduler's idle collections) act
 * on the next reading that succeeds.
 */
let lastUsage: NodeJS.MemoryUsage = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };

/** `process.memoryUsage()`, or the last reading when it cannot be read now (see above). */
export function memoryUsage(): NodeJS.MemoryUsage {
  try {
    lastUsage = process.memoryUsage();
  } catch {
    // EMFILE/ENFILE: no descriptor to read /proc/self/stat with; the last figures stand.
  }
  return lastUsage;
}

/** `process.memoryUsage.rss()` (cheaper: no heap walk), or the last reading when it cannot be read now. */
export function residentBytes(): number {
  try {
    lastUsage = { ...lastUsage, rss: process.memoryUsage.rss() };
  } catch {
    // As in memoryUsage().
  }
  return lastUsage.rss;
}
