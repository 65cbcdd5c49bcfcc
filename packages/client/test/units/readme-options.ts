/**
 * The README's table of LocalCluster options names every option `LocalCluster.start` takes. A
 * new user reading it found no `host`, which `start` takes (and names among its options when a
 * key is misspelt): the way to let workers on other hosts reach the cluster's scheduler.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { LocalCluster } from '@gluon/client';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The option names in the first cell of each row of the table under `## LocalCluster`. */
function documented(): Set<string> {
  const section = readme.slice(readme.indexOf('\n## LocalCluster\n'));
  const table = section.slice(section.indexOf('\n| option | default |'));
  const rows = table.split('\n').slice(3);
  const names = new Set<string>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    for (const [, name] of row.split('|')[1]!.matchAll(/`([A-Za-z]+)`/g)) names.add(name!);
  }
  return names;
}

t.test('every option LocalCluster.start takes has a row in the README', async (t) => {
  // The options as start() lists them, refusing a key it does not have (before anything starts).
  const err = await LocalCluster.start({ noSuchOption: 1 } as never).then(() => undefined, (e: Error) => e);
  const list = /the options are (.*)$/.exec(err?.message ?? '')?.[1];
  t.ok(list, `start() names its options (${err?.message})`);
  const taken = list!.split(', ');
  t.ok(taken.includes('nWorkers') && taken.includes('tls'), 'the list read is the options list');
  const rows = documented();
  t.same(taken.filter((o) => !rows.has(o)), [], 'none missing from the table');
  t.same([...rows].filter((o) => !taken.includes(o)), [], 'and the table names none it does not take');
});
