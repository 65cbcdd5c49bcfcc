/**
 * The check of a worker's `transfer` report. Every other message is checked at the connection
 * against its schema in @gluon/protocol (ops.ts) and refused with 4003 when malformed; transfer
 * reports are advisory (dashboard only), so the state machine ignores a malformed one instead.
 */
import { formatProblem, WORKER_TO_SCHEDULER, type Infer } from '@gluon/protocol';

/** A worker's `transfer` report as {@link checkTransfer} accepts it. */
export type TransferReport = Infer<typeof WORKER_TO_SCHEDULER.ops.transfer>;

/** Returns why a worker's `transfer` report is malformed, or null when it is a {@link TransferReport}. */
export function checkTransfer(m: Record<string, unknown>): string | null {
  const p = WORKER_TO_SCHEDULER.ops.transfer.check({ op: 'transfer', ...m });
  if (p) return formatProblem('transfer', p);
  if ((m.stop as number) < (m.start as number)) return `transfer: stop (${m.stop}) is before start (${m.start})`;
  return null;
}
