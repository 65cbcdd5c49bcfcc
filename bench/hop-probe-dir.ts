/**
 * Turns the hop probe on for this process and the ones it starts (bench/tail-hops.ts): sets
 * `GLUON_HOP_PROBE` to `$KEEP`, or to a new temporary directory, and exports it. Imported first,
 * for its side effect: `@gluon/protocol` reads the variable once, when it loads, and bench/env.ts
 * loads it; set in tail-hops.ts's body, after its imports, the variable came too late for this
 * process (its probe was undefined, so the run ended in a TypeError after the round trips).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const keep = process.env.KEEP;
/** Where every process of the run writes its stamps. */
export const probeDir = keep !== undefined && keep.trim() !== '' ? keep : mkdtempSync(join(tmpdir(), 'gluon-hops-'));
mkdirSync(probeDir, { recursive: true });
process.env.GLUON_HOP_PROBE = probeDir;
