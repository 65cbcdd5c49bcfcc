/**
 * Compile-time checks of the public API's types (run by test/processes/types.ts through tsc; kept outside test/ so tap does not run it as a test): the
 * signatures of task functions flow through remoteFrom into submit, map, treeReduce, delayed
 * and gather. Every @ts-expect-error line must fail to compile, or tsc reports it as unused.
 */
import { delayed, remote, remoteFrom, type Client, type Delayed, type Future } from '@gluon/client';

declare const client: Client;
const { inc, add, histogram, mergeHistograms } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

const a: Future<number> = client.submit(inc, 1);
const b: Future<number> = client.submit(inc, a);
// @ts-expect-error a string is not a number
client.submit(inc, 'x');
// @ts-expect-error a Future<Float64Array> is not a number
client.submit(inc, client.submit(histogram, 1));
// @ts-expect-error inc has no export named "nope"
client.submit(remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks').nope, 1);
const c: Future<number> = client.submit(add, a, b, 3);
const hs: Array<Future<Float64Array>> = client.map(histogram, [1, 2, 3]);
const merged: Future<Float64Array> = client.treeReduce(mergeHistograms, hs, { fanIn: 4 });
// @ts-expect-error inc does not combine arrays of histograms
client.treeReduce(inc, hs);
const nested: Future<Float64Array> = client.submit(mergeHistograms, [hs[0]!, new Float64Array(3)]);
const value: Promise<number> = client.compute(delayed(inc)(delayed(inc)(1)));
const gathered: Promise<{ x: number; y: Float64Array[] }> = client.gather({ x: c, y: hs });
const explicit = remote<(s: string) => number>('some-package', 'parse');
const parsed: Future<number> = client.submit(explicit.with({ retries: 2, priority: 1 }), 'x');
const dh = delayed(histogram)(1);
const dm: Delayed<Float64Array> = delayed(mergeHistograms)([dh, hs[0]!]);
// @ts-expect-error a delayed histogram is not a number
delayed(inc)(dh);
void dm;
void merged; void nested; void value; void gathered; void parsed;
