// One worker's page (`worker?name=NAME`): its figures, the tasks assigned to it now, its results
// by group and the largest ones, its recent transfers and its own log lines. Polls
// `api/worker?name=NAME` once a second (the scheduler builds it only while someone looks).
import { el } from './format.js';
import { renderWorker } from './worker-render.js';

const name = new URLSearchParams(location.search).get('name') ?? '';
document.title = `Gluon worker ${name}`;
document.getElementById('worker-name').textContent = name;
const conn = document.getElementById('conn');

async function poll() {
  try {
    const r = await fetch(`api/worker?name=${encodeURIComponent(name)}`);
    if (r.status === 401) return location.reload();
    if (r.status === 404) {
      conn.textContent = 'unknown worker';
      conn.className = 'conn down';
      document.getElementById('worker-now').replaceChildren(el('p', { class: 'muted empty' }, await r.text()));
    } else if (!r.ok) {
      throw new Error(`${r.status} ${await r.text()}`);
    } else {
      renderWorker(await r.json(), Date.now());
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
