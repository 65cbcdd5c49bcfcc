/**
 * Who runs a task posted to a thread ahead of time: the thread, or — if the pool took it back
 * first — some other thread. A thread holds a few tasks at once (so it never waits for the main
 * thread between short tasks), but a task queued behind one that blocks must not wait while
 * another thread idles. Taking it back by message would not work: a blocked thread reads no
 * messages. So both sides decide on one shared counter, atomically, and exactly one of them wins.
 *
 * The pool numbers the tasks it posts to a thread 1, 2, 3, … (`seq`). The shared `cursor` holds
 * the number of the last task the thread claimed. Before running task `seq` the thread moves the
 * cursor from below `seq` to `seq`; the pool takes back every task it posted that the thread has
 * not claimed by moving the cursor to the last number it posted. Whoever moves the cursor first
 * wins; the other sees it moved and stands back. Numbers wrap around in 32 bits (compared as
 * serial numbers), which is safe while fewer than 2^31 tasks of one thread are in flight.
 */

/** A thread's claim cursor: one Int32 in shared memory, starting at 0 (nothing claimed). */
export function newCursor(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** The number after `seq`, wrapping in 32 bits. */
export function nextSeq(seq: number): number {
  return (seq + 1) | 0;
}

/** Whether task number `a` was posted after `b` (serial-number order, wrapping in 32 bits). */
export function isAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/**
 * Thread side: claims task `seq` to run it. False when the pool took it back. One attempt
 * suffices: the cursor only moves past `seq` when the pool takes back everything up to its last
 * posted number, which includes `seq`.
 */
export function claim(cursor: Int32Array, seq: number): boolean {
  const c = Atomics.load(cursor, 0);
  if (!isAfter(seq, c)) return false;
  return Atomics.compareExchange(cursor, 0, c, seq) === c;
}

/**
 * Pool side: takes back every task posted up to `last` that the thread has not claimed. Returns
 * the number of the last task the thread claimed: the tasks taken back are those after it.
 * Retries only while the thread claims tasks meanwhile, so at most once per task posted.
 */
export function takeBack(cursor: Int32Array, last: number): number {
  let c = Atomics.load(cursor, 0);
  while (isAfter(last, c)) {
    const seen = Atomics.compareExchange(cursor, 0, c, last);
    if (seen === c) return c;
    // The thread claimed a later task meanwhile: the cursor only moves forward, towards `last`.
    c = seen;
  }
  return c;
}
