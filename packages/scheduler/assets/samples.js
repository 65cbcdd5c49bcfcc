// Time-stamped samples kept over a window, as the Memory and Scheduler panels hold them.

/**
 * Appends `fresh` samples (arrays whose first item is a time in ms) to `samples`, in place, and
 * drops those older than `windowMs` before the newest. Returns whether anything was added.
 */
export function appendWindow(samples, fresh, windowMs) {
  if (!fresh?.length) return false;
  for (const x of fresh) samples.push(x);
  const cut = samples[samples.length - 1][0] - windowMs;
  let drop = 0;
  while (drop < samples.length && samples[drop][0] < cut) drop++;
  if (drop) samples.splice(0, drop);
  return true;
}
