/**
 * The dashboard's address as this client can open it. A scheduler listening on a wildcard
 * (`--host 0.0.0.0` or `::`, the usual choice for workers on other hosts) can only say
 * `http://0.0.0.0:PORT/`, which on the client's host names the client's own machine: a script
 * printed an address nobody could open, and `performanceReport()` read the dashboard of
 * whatever listened on that port here. The host the client reached the scheduler by reaches the
 * dashboard too (it is the same process), so the wildcard is replaced by it.
 */

const WILDCARD = new Set(['0.0.0.0', '[::]']);

/**
 * `dashboard` with a wildcard host replaced by the host of `schedulerUrl` (the address this
 * client connected to); unchanged otherwise, and for a scheduler reached over a Unix socket
 * (`ws+unix:`: the same machine, where the wildcard does reach it).
 */
export function reachableDashboardUrl(dashboard: string, schedulerUrl: string): string {
  let d: URL, s: URL;
  try {
    d = new URL(dashboard);
    s = new URL(schedulerUrl);
  } catch {
    return dashboard;
  }
  if (!WILDCARD.has(d.hostname) || (s.protocol !== 'ws:' && s.protocol !== 'wss:') || WILDCARD.has(s.hostname)) return dashboard;
  d.hostname = s.hostname;
  return d.href;
}
