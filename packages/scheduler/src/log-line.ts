import { MAX_NAME_TEXT } from '@gluon/protocol';
import type { LogWorker } from './dashboard/source.js';

/** A worker as an event-log line names it (a WorkerRecord, or just its id and name). */
export interface NamedWorker {
  readonly id: string;
  readonly name: string;
}

/** An event-log text and the workers it names (see {@link LogWorker}). */
export interface LogLine {
  text: string;
  workers?: LogWorker[];
}

/**
 * Tag for event-log texts that name workers: logLine`worker ${ws} removed: ${reason}`. A worker
 * (any `{id, name}`) stands in the text as its name, and the line records its id and where that
 * name stands, so the dashboard can link it to that worker's own page and tell it apart from
 * workers of the same name (two hosts started with one `--name`, or a worker and its restart).
 * Strings and numbers stand as themselves.
 */
export function logLine(parts: TemplateStringsArray, ...values: Array<NamedWorker | string | number>): LogLine {
  let text = parts[0]!;
  let workers: LogWorker[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'object') {
      (workers ??= []).push({ id: v.id, name: v.name, at: text.length });
      text += v.name;
    } else {
      text += String(v);
    }
    text += parts[i + 1]!;
  }
  return workers ? { text, workers } : { text };
}

/**
 * A key (or another peer-chosen string) as a log line or a notice names it: a peer may send any
 * string (the schemas bound only the frame), and the line goes to logs, the dashboard and clients.
 */
export function shortKey(key: string): string {
  return key.length > 120 ? `${key.slice(0, 120)}… (${key.length} characters)` : key;
}

/**
 * A text a peer sent that the scheduler keeps and passes on (an error's message or stack, a
 * result's type name), at most `max` characters: past it, its start and how long it was. Kept
 * in the failures table and the event log (500 rows each) and sent to every client holding the
 * task, a text of any size would be held and copied that many times.
 */
export function boundedText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (cut by the scheduler: ${text.length} characters)` : text;
}

/**
 * A task key as the dashboard shows it (task stream bars, transfer tooltips, the failures table,
 * the task graph, worker pages): at most 512 characters, as a task's group and a worker's
 * address are (protocol MAX_NAME_TEXT), past which its start and a note saying it was cut and
 * how long it was. A client chooses its keys (the `key` option), and one of any length was sent
 * whole to every browser with each bar and row. Only what is shown is cut: the task keeps its key.
 */
export function shownKey(key: string): string {
  return key.length > MAX_NAME_TEXT ? `${key.slice(0, MAX_NAME_TEXT)}… (key cut for the dashboard: ${key.length} characters)` : key;
}
