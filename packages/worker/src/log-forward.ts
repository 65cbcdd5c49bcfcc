import type { Message } from '@gluon/protocol';

/** Longest line forwarded (characters); longer ones are cut with a note. */
export const MAX_LINE = 2000;
/** Lines kept while the scheduler is unreachable, sent once it is back (the newest). */
const MAX_PENDING = 50;
/** At most this many lines per {@link WINDOW_MS} go to the scheduler; the rest are counted. */
const MAX_PER_WINDOW = 100;
const WINDOW_MS = 10_000;

/**
 * Sends the worker's log lines to the scheduler (`log {time, text}`), for its page on the
 * dashboard. Bounded: lines are cut at {@link MAX_LINE} characters, at most 100 leave per 10 s
 * (a note says how many were held back), and while the scheduler is away only the last 50 wait.
 */
export class LogForwarder {
  private send: ((m: Message) => void) | null = null;
  private pending: Message[] = [];
  private windowStart = 0;
  private sent = 0;
  private held = 0;
  private sending = false;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Connected: what waited goes now, then each line as it is logged. */
  attach(send: (m: Message) => void): void {
    this.send = send;
    const waiting = this.pending;
    this.pending = [];
    for (const m of waiting) this.deliver(m);
  }

  detach(): void {
    this.send = null;
  }

  line(text: string): void {
    // A line logged while sending one (a connection error) is not sent again.
    if (this.sending) return;
    const now = this.clock();
    if (now - this.windowStart >= WINDOW_MS) {
      if (this.held > 0) this.queue({ op: 'log', time: now, text: `(${this.held} log line(s) not forwarded: over ${MAX_PER_WINDOW} per ${WINDOW_MS / 1000} s)` });
      this.windowStart = now;
      this.sent = 0;
      this.held = 0;
    }
    if (this.sent >= MAX_PER_WINDOW) {
      this.held++;
      return;
    }
    this.sent++;
    this.queue({ op: 'log', time: now, text: text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}… (${text.length} characters)` : text });
  }

  private queue(m: Message): void {
    if (this.send) return this.deliver(m);
    this.pending.push(m);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  private deliver(m: Message): void {
    this.sending = true;
    try {
      this.send!(m);
    } finally {
      this.sending = false;
    }
  }
}
