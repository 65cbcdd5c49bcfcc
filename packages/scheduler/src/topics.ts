import { checkWire } from '@gluon/protocol';

/**
 * Published values (`publish`, the dashboard's Results panel): each topic's latest value, kept
 * for the scheduler's life. A client or a task may publish anything, so what is kept is bounded:
 * how many topics, how large one value, how large all of them together, and how long a topic's
 * name. A publish beyond a bound is refused whole (the topic keeps its previous value) and the
 * publisher is told why; nothing else changes. Pure bookkeeping, no messages.
 */
export interface TopicLimits {
  /** Topics kept at most. */
  maxTopics: number;
  /** Bytes of one published value at most (its estimated msgpack size, with its topic's name). */
  maxTopicBytes: number;
  /** Bytes of every kept value together at most. */
  maxPublishedBytes: number;
}

/** Longest topic name (characters): a name is drawn on every open dashboard and quoted in refusals. */
export const MAX_TOPIC_NAME = 1024;

export class Topics {
  /** Topic → its latest value. */
  readonly values = new Map<string, unknown>();
  /** Topic → the bytes counted for it (its value's estimate plus its name). */
  private readonly sizes = new Map<string, number>();
  private total = 0;

  constructor(readonly limits: TopicLimits) {}

  /** Bytes counted for all kept values. */
  get bytes(): number {
    return this.total;
  }

  /**
   * Keeps `value` as the latest of `topic`; or, beyond a bound, keeps nothing and returns why
   * (naming the bound, the figure and the flag that sets it).
   */
  publish(topic: string, value: unknown): string | null {
    if (topic.length > MAX_TOPIC_NAME) return `its name is ${topic.length} characters long, more than the ${MAX_TOPIC_NAME} a topic's name may have`;
    const wire = checkWire(value, 'value');
    if (!wire.ok) return wire.message;
    const nbytes = wire.nbytes + topic.length;
    const { maxTopics, maxTopicBytes, maxPublishedBytes } = this.limits;
    if (nbytes > maxTopicBytes) return `its value is about ${nbytes} bytes, more than the ${maxTopicBytes} one topic may hold (--max-topic-bytes)`;
    const was = this.sizes.get(topic);
    if (was === undefined && this.values.size >= maxTopics) return `the scheduler keeps ${this.values.size} topics already, the most it may (--max-topics); publish on one of them`;
    const total = this.total - (was ?? 0) + nbytes;
    if (total > maxPublishedBytes) return `the published values would come to about ${total} bytes, more than the ${maxPublishedBytes} all topics may hold together (--max-published-bytes)`;
    this.values.set(topic, value);
    this.sizes.set(topic, nbytes);
    this.total = total;
    return null;
  }
}
