/**
 * `scripts/netns.sh check` says what it found either way. On success it printed nothing, so a new
 * user running it could not tell a pass from a check that never ran.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const script = join(import.meta.dirname, '../scripts/netns.sh');

t.test('check says namespaces can be made, or why not', async (t) => {
  const r = spawnSync('bash', [script, 'check'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) {
    t.match(r.stdout, /^netns\.sh: network namespaces with veth pairs and bridges can be made here\n$/);
    t.equal(r.stderr, '');
  } else {
    // Not root, no `ip`, no CAP_SYS_ADMIN: the reason, on stderr, and nothing claimed on stdout.
    t.equal(r.status, 1);
    t.match(r.stderr, /^netns\.sh: \S/);
    t.equal(r.stdout, '');
  }
});
