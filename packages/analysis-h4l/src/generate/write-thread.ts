/**
 * A generator thread: writes the sample files it is sent (one `SampleJob` per message) and
 * answers each with `{ok: WrittenSample}` or `{error: message}`. Started by write-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { writeSample, type SampleJob } from './write-sample.js';

parentPort!.on('message', (job: SampleJob) => {
  writeSample(job).then(
    (ok) => parentPort!.postMessage({ ok }),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }));
});
