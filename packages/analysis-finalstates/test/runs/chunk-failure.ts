/**
 * A chunk that fails on a worker stops the run with an error naming the chunk, the file and the
 * reason, whether the run publishes (per-chunk summary tasks) or not (the chunks' own futures).
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { countEntries, listFiles, mergeConfig, physicsOptions, runFinalStates } from '@gluon/analysis-finalstates';

const dir = mkdtempSync(path.join(tmpdir(), 'fs-chunk-failure-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
await generateDataset({ outDir: path.join(dir, 'gen'), seed: 3, samples: [{ name: 'ggH125_ZZ4lep', entries: 2000 }] });
// Baskets fill the middle of the file, its metadata the ends: overwrite the middle.
const bytes = readFileSync(listFiles(path.join(dir, 'gen'))[0]);
bytes.fill(0x5a, Math.floor(bytes.length * 0.3), Math.floor(bytes.length * 0.6));
const damaged = path.join(dir, 'damaged.root');
writeFileSync(damaged, bytes);

t.test('the damaged file passes preprocessing (its tree and entries read)', async (t) => {
  const [c] = await countEntries([damaged], 'mini');
  t.equal(c.error, undefined);
  t.equal(c.entries, 2000);
});

for (const publish of [false, true]) {
  t.test(`a failing chunk on a worker names the chunk and the file (publish: ${publish})`, async (t) => {
    await t.rejects(runFinalStates({ files: [damaged], physics: physicsOptions(mergeConfig({}, {})), nWorkers: 1, chunkSize: 500, publish, dashboard: false }),
      { name: 'RunError', message: /^chunk \d+–\d+ of .*damaged\.root failed: .*BadInputError: bad input file .*damaged\.root: basket/ });
  });
}
