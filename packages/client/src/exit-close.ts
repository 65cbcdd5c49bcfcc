/**
 * Clients not closed yet: closed at `beforeExit`, once the script has nothing left to do (see
 * liveness.ts), so the scheduler sees a client that closed rather than one it lost (whose keys it
 * keeps for its session grace, holding up the next script's tasks).
 */
const openClients = new Set<{ close(): Promise<void> }>();
/** Whether the one `beforeExit` listener is in place (one per process, not one per client). */
let listening = false;

/** A client opened: it is closed at `beforeExit` unless it closes first. */
export function closeAtExit(client: { close(): Promise<void> }): void {
  openClients.add(client);
  if (!listening) {
    listening = true;
    process.on('beforeExit', () => { for (const c of openClients) void c.close(); });
  }
}

/** A client closed (or gave up): nothing to close at exit. */
export function closedBeforeExit(client: { close(): Promise<void> }): void {
  openClients.delete(client);
}
