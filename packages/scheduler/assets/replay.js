// Replay mode. A performance report (one HTML file written by `client.performanceReport`) holds
// the dashboard's feed of its window in #gluon-recording: a full state, then the deltas as the
// live page received them. The page draws them through the same code as the live feed, with its
// clock stopped at the window's end, and opens no connection (the report's CSP forbids any).
import { el, fmtTime } from './format.js';
import { renderWorker } from './worker-render.js';

/**
 * The recording when this page is a report: `{title, start, end, scheduler, messages, bounds}`
 * (see ReportRecording in @gluon/protocol); `{error}` when its slot holds no valid recording;
 * undefined on the live dashboard.
 */
export function recordedFeed() {
  const slot = document.getElementById('gluon-recording');
  if (!slot) return undefined;
  let rec;
  try {
    rec = JSON.parse(slot.textContent ?? '');
  } catch (e) {
    return { error: `this report holds no readable recording (${e.message}); was it written by client.performanceReport?` };
  }
  if (!rec || rec.version !== 1 || !Array.isArray(rec.messages) || rec.messages[0]?.type !== 'state') {
    return { error: `this report's recording is not one this page can replay (version ${JSON.stringify(rec?.version)}, first message ${JSON.stringify(rec?.messages?.[0]?.type)})` };
  }
  return rec;
}

function fmtDuration(ms) {
  const s = Math.max(0, ms) / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Marks the page as a report: the header says so, and a note gives the window and its bounds. */
export function showReport(rec, conn) {
  conn.className = 'conn report';
  conn.style.background = '#6b4fa0';
  const main = document.querySelector('main');
  const note = el('p', { id: 'report-note', class: 'panel wide', style: 'margin:0' });
  main.prepend(note);
  if (rec.error) {
    conn.textContent = 'report: unreadable';
    note.textContent = rec.error;
    return;
  }
  document.title = `${rec.title} · Gluon performance report`;
  conn.textContent = `report ${fmtTime(rec.start)}–${fmtTime(rec.end)}`;
  const b = rec.bounds;
  const day = new Date(rec.start).toISOString().slice(0, 10);
  note.append(
    el('strong', {}, `Performance report: ${rec.title}. `),
    `Scheduler ${rec.scheduler}, ${day} ${fmtTime(rec.start)}–${fmtTime(rec.end)} (${fmtDuration(rec.end - rec.start)}). `,
    'Recorded from the dashboard\'s live feed and replayed here; nothing on this page is live. ',
    el('span', { id: 'report-bounds' },
      b.barsKept < b.barsSeen + (b.feedDropped ?? 0)
        ? `Task stream: ${b.barsKept.toLocaleString('en')} of the window's ${(b.barsSeen + (b.feedDropped ?? 0)).toLocaleString('en')} bars (tasks and transfers), a uniform sample (the live feed sends at most 1,500 a push; the report keeps at most ${b.maxBars.toLocaleString('en')}). `
        : `Task stream: all ${b.barsSeen.toLocaleString('en')} bars (tasks and transfers) of the window. `,
      b.restartedAt !== null
        ? `The recording outgrew ${Math.round(b.maxBytes / 1048576)} MiB and restarted from a fresh state at ${fmtTime(b.restartedAt)}: the views hold what the dashboard kept from then on.`
        : ''),
  );
}

/**
 * Worker pages in a report: a worker's link (`worker?id=…`) shows, in place of the dashboard,
 * that worker's page as the report recorded it at the window's end (`#worker=ID`, so Back
 * returns), drawn by the live page's own code into worker.html's markup, which the report keeps
 * in #report-worker-page. Pages are by worker id: workers may share a name.
 */
export function installWorkerPages(rec) {
  const main = document.querySelector('main');
  const template = document.getElementById('report-worker-page');
  let shown;
  /** The names the links clicked showed, by id: what a page the report lacks is called. */
  const names = new Map();
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[href^="worker?"]') : null;
    if (!a) return;
    e.preventDefault();
    const id = new URLSearchParams(a.getAttribute('href').slice('worker?'.length)).get('id') ?? '';
    names.set(id, a.textContent);
    location.hash = `worker=${encodeURIComponent(id)}`;
  });
  const route = () => {
    shown?.remove();
    shown = undefined;
    const m = /^#worker=(.*)$/.exec(location.hash);
    // Not `hidden`: the stylesheet's `main { display: grid }` would override it.
    main.style.display = m ? 'none' : '';
    if (!m) return;
    const id = decodeURIComponent(m[1]);
    const detail = rec.workerPages?.[id];
    const name = detail?.name ?? names.get(id) ?? id;
    shown = el('main', { id: 'report-worker' },
      el('section', { class: 'panel wide' }, el('a', { href: '#', class: 'report-back' }, '← back to the report'), ' · worker ',
        el('strong', { id: 'worker-name' }, name), ' ', el('span', { id: 'worker-summary', class: 'muted' })));
    main.after(shown);
    if (!template || !detail) {
      const why = rec.bounds?.workerPagesLeftOut ? ` (a report keeps at most 64 worker pages; ${rec.bounds.workerPagesLeftOut} were left out)` : ' (the dashboard no longer knew it when the report was written)';
      shown.append(el('p', { class: 'panel wide muted' }, `This report holds no page for worker ${name}${why}.`));
      return;
    }
    shown.append(template.content.cloneNode(true));
    renderWorker(detail, rec.end);
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', route);
  route();
}
