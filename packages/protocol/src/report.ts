/**
 * The performance report's contract between the dashboard (which serves the report's page: its
 * own assets inlined, a replay mode, and an empty slot) and `@gluon/client` (which records the
 * dashboard's live feed for a window and writes the page with the recording in that slot).
 */

/** The text in the served page that the recording's JSON replaces. */
export const REPORT_SLOT = '/*@gluon-recording@*/';

/** The dashboard path (relative to its URL) that serves the report's page with the empty slot. */
export const REPORT_SHELL_PATH = 'api/report-shell';

/** Worker pages a report keeps at most (the live ones first, then by name). */
export const REPORT_MAX_WORKER_PAGES = 64;

/** What the slot holds: the feed messages of the window, as the dashboard sent them (thinned). */
export interface ReportRecording {
  version: 1;
  /** a title for the page (the report's file name unless given). */
  title: string;
  /** the window, in the scheduler's clock (ms since epoch): the first and the last message's `time`. */
  start: number;
  end: number;
  /** the scheduler's address. */
  scheduler: string;
  /** a full `state` first, then `delta`s (see the scheduler's docs/dashboard.md). */
  messages: Array<Record<string, unknown>>;
  /**
   * Each worker's own page (the dashboard's `api/worker?id=…`) as of the window's end, by worker
   * id (workers may share a name); at most {@link REPORT_MAX_WORKER_PAGES} of them.
   */
  workerPages?: Record<string, unknown>;
  /** how the recording was bounded, shown in the page. */
  bounds: {
    /** task-stream bars the feed sent during the window, and how many the report kept. */
    barsSeen: number;
    barsKept: number;
    /** bars the feed itself left out during the window (it sends a uniform sample of at most 1,500 a push). */
    feedDropped: number;
    /** the bar limit; beyond it a uniform sample of the window is kept. */
    maxBars: number;
    /** the byte limit of the recording; past it the recording restarted from a fresh state. */
    maxBytes: number;
    /** when the recording restarted (ms, scheduler clock), or null when it covers the whole window. */
    restartedAt: number | null;
    /** workers whose own page was left out (past {@link REPORT_MAX_WORKER_PAGES}). */
    workerPagesLeftOut?: number;
  };
}

/**
 * JSON text safe inside an HTML `<script>` element: `<` is escaped, so neither `</script>` nor
 * `<!--` in a value can end or confuse it (the JSON parses to the same value).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
