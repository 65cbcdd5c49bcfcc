// One worker's page (`worker?id=ID`): its figures, the tasks assigned to it now, its results
// by group and the largest ones, its recent transfers and its own log lines. Polls
// `api/worker?id=ID` once a second (the scheduler builds it only while someone looks). A link
// by name (`worker?name=NAME`, as pages were keyed before) shows that worker when the name is
// one worker's, else lists the workers of that name, each linked to its own page.
import { el, workerLink } from './format.js';
import { renderWorker } from './worker-render.js';

const query = new URLSearchParams(location.search);
const id = query.get('id');
const name = query.get('name') ?? '';
const api = id !== null ? `api/worker?id=${encodeURIComponent(id)}` : `api/worker?name=${encodeURIComponent(name)}`;
document.title = `Gluon worker ${name || id || ''}`;
document.getElementById('worker-name').textContent = name || id || '';
const conn = document.getElementById('conn');

/** The workers a name stands for, when it is several's. */
function renderMatches(d) {
  document.getElementById('worker-summary').textContent = '';
  document.getElementById('worker-now').replaceChildren(
    el('p', {}, `${d.matches.length} workers are named ${JSON.stringify(d.name)}; each has its own page:`),
    el('ul', { class: 'matches' }, ...d.matches.map((m) => el('li', { 'data-id': m.id },
      workerLink(m.id, m.name), ` at ${m.address.replace(/^[a-z]+:\/\//, '') || '?'}${m.host ? ` on ${m.host}` : ''}${m.alive ? '' : ' (gone)'}`))));
}

async function poll() {
  try {
    const r = await fetch(api);
    if (r.status === 401) return location.reload();
    if (r.status === 404) {
      conn.textContent = 'unknown worker';
      conn.className = 'conn down';
      document.getElementById('worker-now').replaceChildren(el('p', { class: 'muted empty' }, await r.text()));
    } else if (!r.ok) {
      throw new Error(`${r.status} ${await r.text()}`);
    } else {
      const d = await r.json();
      if (d.matches) renderMatches(d);
      else {
        renderWorker(d, Date.now());
        document.title = `Gluon worker ${d.name}`;
      }
      conn.textContent = 'live';
      conn.className = 'conn up';
    }
  } catch (e) {
    conn.textContent = 'scheduler unreachable, retrying…';
    conn.className = 'conn down';
  }
  setTimeout(poll, 1000);
}
poll();
