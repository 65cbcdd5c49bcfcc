/**
 * Every message of every role, declared once: for each direction (who sends to whom), the ops
 * the receiver accepts and the schema of each. Connections check each received message against
 * their direction's table before a handler sees it (see {@link checkInbound}); a mismatch, an
 * unknown op or an op of another role closes the connection with 4003 and a reason naming the op
 * and the field. Handlers narrow the checked messages with {@link Inbound}. docs/internals.md
 * explains what each op means.
 */
import { MAX_ERROR_CODE, MAX_ERROR_PATH, MAX_WIRE_DEPTH } from './values.js';
import { MAX_TIMEOUT_MS, type Role, type TaskError, type TaskSpec, type WorkerMetrics } from './messages.js';
import {
  anything, arrayOf, bool, formatProblem, nestedAtMost, num, obj, oneOf, opt, recordOf, str, type Infer, type Schema,
} from './schema.js';

/** Most characters of a leaving worker's `closing` reason (the worker shortens a longer one). */
export const MAX_LEAVE_REASON = 500;

/** The ops one side accepts from another, with the schema of each. */
export interface Direction<Ops extends Record<string, Schema<unknown>> = Record<string, Schema<unknown>>> {
  /** The sender as reasons name it: `a client`, `the scheduler`. */
  readonly from: string;
  /** The receiver, for the wrong-role reason: `scheduler`, `worker`. */
  readonly to: string;
  readonly ops: Ops;
  /**
   * Advisory ops the connection passes on unchecked: their handler checks them with the same
   * schema and ignores a malformed one instead of closing (a worker's `transfer` report).
   */
  readonly lenient?: ReadonlySet<string>;
}

/** The messages a direction admits, as a union narrowed by `op`. */
export type Inbound<D extends Direction> = {
  [K in keyof D['ops'] & string]: Infer<D['ops'][K]> & { op: K };
}[keyof D['ops'] & string];

/**
 * Most characters of a name, host or session a peer gives in its hello. These are quoted in log
 * lines, on the dashboard, in other peers' messages and kept for every worker and client, so
 * they are bounded and may hold no control characters (a line break forged log lines, an escape
 * rewrote the terminal). Before, the 64 KiB hello frame was their only bound.
 */
export const MAX_HELLO_TEXT = 256;
/** Most characters of the data address in a worker's hello (`wss://` a 253-character DNS name `:port`). */
export const MAX_ADDRESS_TEXT = 512;
/**
 * Most characters of a task's group and of its function's export name (the group it has by
 * default, and the start of its key): the dashboard shows the group on every progress bar, task
 * stream row and tooltip, and in its metrics, and a client could send one of any length (the
 * frame was its only bound). Bounded as a worker's data address is; a client refuses a longer one
 * where it is given (client remote.ts).
 */
export const MAX_NAME_TEXT = 512;

/**
 * Most characters of a task key, wherever one travels (a task's own key, its dependencies, wants,
 * releases, results, claims, fetches; the keys of maps keyed by task key). The scheduler stores,
 * indexes, logs and shows each key it is sent, and the frame (256 MiB) was its only bound, so a
 * client could make one task cost the scheduler megabytes many times over. Real keys are far
 * shorter: a client's are `<group>-<16 hex digits>` (a group has at most {@link MAX_NAME_TEXT}
 * characters, so at most 529), Dask's are a name and a hash or a short tuple; 4,096 also takes a
 * key naming a whole Linux path (PATH_MAX). A client refuses a longer explicit `key` where it is
 * given (client remote.ts). Between Gluon's own processes (worker ↔ scheduler, worker ↔ worker) a
 * longer key is a malformed field like any other (4003): the scheduler never gives a worker one.
 * A client's keys are its own choice (protocol 21): its messages to the scheduler take keys of any
 * length ({@link clientKey}), and the scheduler answers each over-long one by naming it (its task
 * and the tasks depending on it fail, the client's other work goes on; see the scheduler's
 * key-refusals.ts), never by closing a connection that carries other work.
 */
export const MAX_KEY_LENGTH = 4096;

/**
 * A key over {@link MAX_KEY_LENGTH} as a refusal names it (protocol 21): its first 120 characters,
 * its length and the bound, never the whole key (it goes to logs and to the sender's stderr).
 */
export function overLongKeyText(key: string): string {
  return `${key.slice(0, 120)}… (${key.length} characters) is over the protocol's bound on a task key, ${MAX_KEY_LENGTH} characters (MAX_KEY_LENGTH)`;
}

/** `op` is checked by the frame decoder already (a string); schemas only admit it. */
const op = str();
const key = str({ nonEmpty: true, maxLength: MAX_KEY_LENGTH });
const keys = arrayOf(key);
/** A map keyed by task key (claims, fetched data, where results are). */
const byKey = <T>(value: Schema<T>) => recordOf(value, { maxKeyLength: MAX_KEY_LENGTH });
/**
 * A task key as a client names it (protocol 21): bounded by the frame alone, as its other
 * strings are. The receiver judges the length (see {@link MAX_KEY_LENGTH}): a scheduler refuses an
 * over-long key by naming it, and a client is told of its own (`task-erred`'s key).
 */
const clientKey = str({ nonEmpty: true });
const clientKeys = arrayOf(clientKey);
const count = num({ int: true, min: 0 });
/** Byte figures: sizes and memory, possibly estimates. */
const bytes = num({ min: 0 });
/**
 * Worker data addresses (`ws://host:port`), bounded as a worker's hello bounds its own: a client's
 * update-graph names them back (`held`, `workers`), and the scheduler quotes them in its log.
 */
const address = str({ maxLength: MAX_ADDRESS_TEXT, plain: true });
const addresses = arrayOf(address);
const time = num();
/** Request ids pair a request with its reply. */
const id = num({ int: true });

/** A task's run-time limit (ms): at least 1, at most what a Node timer can wait. */
const timeoutMs = num({ min: 1, max: MAX_TIMEOUT_MS });

const fnRef = obj({ module: str({ nonEmpty: true }), export: str({ nonEmpty: true, maxLength: MAX_NAME_TEXT }) });

/** A task as a client submits it (`update-graph`). */
export const TASK_SPEC = obj({
  key: clientKey,
  fn: fnRef,
  group: opt(str({ nonEmpty: true, maxLength: MAX_NAME_TEXT })),
  // Bounded as a client's checkWire bounds them: deeper, the scheduler decoded them but could not
  // encode its compute-task, and the task stayed processing on its worker for ever.
  args: arrayOf(nestedAtMost(MAX_WIRE_DEPTH)),
  deps: clientKeys,
  priority: opt(num()),
  retries: opt(count),
  timeoutMs: opt(timeoutMs),
}, { tag: (t) => (typeof t.key === 'string' ? `task ${t.key.length > 40 ? `${t.key.slice(0, 16)}…` : t.key}` : undefined) });

/**
 * Protocol 19: what a task's error carried besides its text, as Node's system errors have them
 * (`code`, `errno`, `syscall`, `path`): each optional, each bounded.
 */
const errorDetail = {
  code: opt(str({ nonEmpty: true, maxLength: MAX_ERROR_CODE, plain: true })),
  errno: opt(num({ int: true })),
  syscall: opt(str({ nonEmpty: true, maxLength: MAX_ERROR_CODE, plain: true })),
  path: opt(str({ maxLength: MAX_ERROR_PATH })),
};
const errorInfo = obj({ message: str(), name: str(), stack: str(), ...errorDetail });
const taskErrorKind = oneOf('exception', 'worker-died', 'not-allowed', 'cancelled', 'lost', 'bad-input', 'too-large');

/** Why a task failed, as the scheduler tells clients. */
export const TASK_ERROR = obj({
  message: str(), name: str(), stack: str(), key: str(), worker: str(), retriesUsed: count, kind: taskErrorKind, ...errorDetail,
});

/** A worker's resource figures (`heartbeat`). */
export const WORKER_METRICS = obj({
  cpu: num(), rss: bytes, memoryLimit: bytes, executing: count, ready: count, stored: count, storedBytes: bytes, time,
  paused: opt(bool),
  /** Protocol 18: cancelled tasks whose threads this worker terminated because they ran on, since it started. */
  cancelledStopped: opt(count),
});

/** What a worker sends the scheduler. */
export const WORKER_TO_SCHEDULER = {
  from: 'a worker',
  to: 'scheduler',
  ops: {
    holding: obj({ op, keys: byKey(bytes), running: opt(keys) }),
    heartbeat: obj({ op, metrics: WORKER_METRICS }),
    'task-finished': obj({
      op, key, nbytes: bytes, typeName: str(), start: time, stop: time, thread: num({ int: true, min: -1 }),
      value: opt(anything), hasValue: opt(bool), events: opt(num()),
    }),
    'task-erred': obj({
      op, key, error: errorInfo, kind: oneOf('exception', 'worker-died', 'too-large'), start: time, stop: time,
      thread: num({ int: true, min: -1 }),
    }),
    /**
     * Protocol 11: the worker will not import the task's module (its allow-list), so it ran
     * nothing; not a failure of the task, which the scheduler places on a worker that accepts the
     * module. `mayLift`: what the refusal rests on may still appear on this worker (a missing
     * `--allow-module` path, file or package), and the worker re-checks it.
     */
    refused: obj({ op, key, module: str({ nonEmpty: true }), reason: str(), mayLift: bool }),
    /** Protocol 11: a module this worker refused passes its check now (say, its allowed path was created). */
    accepts: obj({ op, module: str({ nonEmpty: true }) }),
    'missing-data': obj({ op, key, errantWorker: address, dependent: opt(key) }),
    /**
     * SIGTERM or close(): send nothing more. Protocol 15: `reason`, why it is leaving (`SIGTERM`,
     * `lifetime of 55.0 min reached`, …), for the scheduler's line saying it left; at most
     * {@link MAX_LEAVE_REASON} characters. Protocol 16: `lifetime: true` when it leaves because its
     * lifetime ended (it retires, and a batch cluster replaces it at once), as `retire` says later.
     */
    closing: obj({ op, reason: opt(str({ maxLength: MAX_LEAVE_REASON })), lifetime: opt(bool) }),
    /**
     * Protocol 8: the closing worker's running tasks are done; it asks for its results to be
     * copied to other workers before it leaves, and leaves on the scheduler's `close`. Protocol 10:
     * `lifetime: true` when it retires because its lifetime ended (its replacement is expected):
     * with no other worker to take its results, the scheduler holds it until one joins.
     */
    retire: obj({ op, lifetime: opt(bool) }),
    /**
     * Protocol 8: answer to `acquire`, once per fetch: the keys now stored here with their sizes,
     * and those the retiring peer no longer had (or could not send).
     */
    acquired: obj({ op, keys: byKey(bytes), missing: keys }),
    handback: obj({ op, keys }),
    'steal-response': obj({ op, key, ok: bool }),
    publish: obj({ op, topic: str({ nonEmpty: true }), value: opt(anything) }),
    /** `from`: the peer's data address, bounded as a hello's (the scheduler passes on only a known worker's). */
    transfer: obj({ op, from: str({ nonEmpty: true, maxLength: MAX_ADDRESS_TEXT, plain: true }), keys: arrayOf(key, { min: 1 }), start: time, stop: time, bytes: num({ min: 0 }) }),
    /** A line the worker logged, for its page on the dashboard. */
    log: obj({ op, time, text: str() }),
  },
  lenient: new Set(['transfer']),
} as const satisfies Direction;

/** What a client sends the scheduler. */
export const CLIENT_TO_SCHEDULER = {
  from: 'a client',
  to: 'scheduler',
  ops: {
    /**
     * `held` and `workers` only after a reconnect (protocol 7 for `workers`): where the client saw
     * finished results (key → worker addresses), and every worker the scheduler had told it of; in
     * the first frame of the graph it re-sends. `resend` (protocol 14): on every frame of that graph
     * and of the graphs it had queued before the reconnect (see the scheduler's ClientSessions.updateGraph).
     */
    'update-graph': obj({ op, tasks: arrayOf(TASK_SPEC), wants: clientKeys, held: opt(recordOf(addresses)), workers: opt(addresses), resend: opt(bool) }),
    // Protocol 21: a client's keys are bounded by the frame alone (see MAX_KEY_LENGTH).
    'release-keys': obj({ op, keys: clientKeys }),
    /** The client fetched these held keys' values and keeps them (see docs/internals.md). */
    received: obj({ op, keys: clientKeys }),
    cancel: obj({ op, keys: clientKeys }),
    retry: obj({ op, keys: clientKeys }),
    'who-has': obj({ op, id, keys: clientKeys }),
    publish: obj({ op, topic: str({ nonEmpty: true }), value: opt(anything) }),
  },
} as const satisfies Direction;

/**
 * A dependency of a compute-task (protocol 5): its key, the data addresses of the workers holding
 * it, and its value when the scheduler sends it along (`value` present, whatever it is). Protocol
 * 4 sent objects keyed by task key instead, which made every key a property name on both sides
 * (docs/internals.md, "Scale growth, sixth look").
 */
const DEPENDENCY = obj({ key, holders: addresses, value: opt(anything) });

/** What the scheduler sends a worker. */
export const SCHEDULER_TO_WORKER = {
  from: 'the scheduler',
  to: 'worker',
  ops: {
    'compute-task': obj({
      op, key, fn: fnRef, args: arrayOf(anything), deps: arrayOf(DEPENDENCY), priority: arrayOf(num()), timeoutMs: opt(timeoutMs),
    }),
    'free-keys': obj({ op, keys }),
    'steal-request': obj({ op, key }),
    'peer-gone': obj({ op, address: str({ nonEmpty: true }) }),
    /**
     * Protocol 8: fetch these results from the retiring worker at `from` (a data address) and keep
     * them as if computed here; answered with `acquired`.
     */
    acquire: obj({ op, from: str({ nonEmpty: true }), keys: arrayOf(key, { min: 1 }) }),
    close: obj({ op, reason: opt(str()) }),
  },
} as const satisfies Direction;

/** What the scheduler sends a client. */
export const SCHEDULER_TO_CLIENT = {
  from: 'the scheduler',
  to: 'client',
  ops: {
    'key-in-memory': obj({ op, key, nbytes: bytes, typeName: str(), workers: addresses, value: opt(anything) }),
    /**
     * Protocol 21: `key` may be over {@link MAX_KEY_LENGTH}: the scheduler tells a client that the
     * key it sent is too long (and so are the tasks depending on it) with the key as sent.
     */
    'task-erred': obj({ op, key: clientKey, error: TASK_ERROR }),
    cancelled: obj({ op, key }),
    'key-lost': obj({ op, key }),
    /**
     * Protocol 17: the erred task is run again (a `retry` from any client, or an erred input of a
     * retried task): the client's futures of the key are pending again, as Dask's `task-retried`.
     */
    'task-retried': obj({ op, key }),
    'who-has-reply': obj({ op, replyTo: id, whoHas: byKey(addresses) }),
    /**
     * A condition of the cluster the client should hear of (protocol 6): `active` when it begins,
     * false when it ends. `memory-stall`: tasks wait and every worker is paused for memory.
     * `unreachable-peer`: a worker cannot fetch from another that is connected to the scheduler.
     * `no-workers`: tasks wait and every worker has left. `about` tells apart conditions of one
     * kind in force at once (an unreachable-peer's pair); the end of one names the same `about`.
     */
    warning: obj({ op, kind: str({ nonEmpty: true }), active: bool, text: str(), about: opt(str()) }),
    /**
     * A worker registered or left (protocol 7), by its data address; with the welcome's
     * `workers`, the client knows every worker the scheduler has, and names them all when it
     * re-sends its graph to a restarted scheduler (see update-graph's `workers`).
     */
    'worker-joined': obj({ op, address: str({ nonEmpty: true }) }),
    'worker-left': obj({ op, address: str({ nonEmpty: true }) }),
  },
} as const satisfies Direction;

/** What a worker's data listener accepts from peers (workers and clients fetching results). */
export const PEER_TO_WORKER = {
  from: 'a peer',
  to: 'worker data listener',
  ops: {
    /** Protocol 21: a client's keys, bounded by the frame alone; a worker refuses a request naming an over-long one with `error`. */
    'get-data': obj({ op, id, keys: clientKeys }),
  },
} as const satisfies Direction;

/** What a worker's data listener answers a peer. */
export const WORKER_TO_PEER = {
  from: 'a worker',
  to: 'peer',
  ops: {
    data: obj({
      op, replyTo: id, data: byKey(anything), missing: keys, later: opt(keys), tooLarge: opt(byKey(str())),
    }),
    error: obj({ op, replyTo: id, message: str() }),
  },
} as const satisfies Direction;

/** Browsers on the dashboard's live feed only listen: nothing they send is an op. */
export const BROWSER_TO_DASHBOARD = {
  from: 'a browser',
  to: 'dashboard',
  ops: {},
} as const satisfies Direction;

/** Every direction, for naming the role an op belongs to. */
export const DIRECTIONS: readonly Direction[] = [
  WORKER_TO_SCHEDULER, CLIENT_TO_SCHEDULER, SCHEDULER_TO_WORKER, SCHEDULER_TO_CLIENT, PEER_TO_WORKER, WORKER_TO_PEER, BROWSER_TO_DASHBOARD,
];

const helloText = str({ maxLength: MAX_HELLO_TEXT, plain: true });

/** Each side announces its size limits in its hello or welcome. */
const limits = { maxFrameBytes: opt(num({ int: true, min: 1 })), maxMessageBytes: opt(num({ int: true, min: 1 })) };
const handshakeFields = { op, role: str(), protocol: num(), version: str(), token: opt(str()), name: opt(helloText), ...limits };

const session = opt(str({ nonEmpty: true, maxLength: MAX_HELLO_TEXT, plain: true }));

/** The hello of each role, after its protocol, version, role and token were checked. */
export const HELLO = {
  client: obj({ ...handshakeFields, session }),
  peer: obj(handshakeFields),
  dashboard: obj(handshakeFields),
  worker: obj({
    ...handshakeFields,
    address: str({ nonEmpty: true, maxLength: MAX_ADDRESS_TEXT, plain: true }), nthreads: num({ int: true, min: 1 }), memoryLimit: count, pid: count, host: helloText,
    // Protocol 13: one per worker process (see Hello.session).
    session,
  }),
} as const satisfies Record<Role, Schema<unknown>>;

/**
 * `tokenRequired`, `clientCertRequired` (protocol 22): what the listener checked before this
 * welcome, so a side that holds a token learns when nothing checked it (see guard.ts).
 */
const welcomeFields = { op, protocol: num(), version: str(), ...limits, tokenRequired: bool, clientCertRequired: bool };
const ttl = opt(num({ min: 1 }));

/** The welcome each role receives. */
export const WELCOME = {
  /**
   * `workers` (protocol 7): the data addresses of the workers registered at the time; absent, none.
   * `dashboardLink` (protocol 8): the dashboard's public URL behind a proxy (`--dashboard-link`),
   * which the client reports as its `dashboardUrl`; `dashboard` stays where it is served.
   * `schedulerId` (protocol 9): random, one per scheduler process; a reconnecting client that finds
   * the one it had knows the scheduler did not restart (see update-graph's `workers`).
   * `resumed` (protocol 12), to a hello with a `session`: true when the scheduler still had that
   * session (connected, or lost within its session grace), so the client's keys were kept while
   * it was away; false when it had released them (the grace ran out) or never knew it.
   */
  client: obj({ ...welcomeFields, clientId: str({ nonEmpty: true }), heartbeatTtlMs: ttl, dashboard: opt(str()), dashboardLink: opt(str({ nonEmpty: true })), workers: opt(addresses), schedulerId: opt(str({ nonEmpty: true })), resumed: opt(bool) }),
  worker: obj({ ...welcomeFields, workerId: str({ nonEmpty: true }), heartbeatIntervalMs: num({ min: 1 }), heartbeatTtlMs: ttl }),
  peer: obj(welcomeFields),
  dashboard: obj(welcomeFields),
} as const satisfies Record<Role, Schema<unknown>>;

/**
 * Why `msg` is not acceptable on a connection receiving `dir`: an unknown op, an op that another
 * role sends, or a mismatch of its schema. Null when it is fine (or lenient, for its handler).
 */
export function checkInbound(dir: Direction, msg: { op: string }): string | null {
  return inboundChecker(dir)(msg);
}

/**
 * {@link checkInbound} for one direction, with its ops looked up in a Map built once (an op's
 * schema, or null for a lenient op passed on unchecked): a connection checks every message it
 * receives, and a Map lookup by a string is one hash probe where `Object.hasOwn` and then a keyed
 * read on the ops table were two lookups that see every op's name (megamorphic).
 */
export function inboundChecker(dir: Direction): (msg: { op: string }) => string | null {
  let checker = checkers.get(dir);
  if (!checker) {
    const table = new Map<string, Schema<unknown> | null>(Object.entries(dir.ops).map(([op, schema]) => [op, dir.lenient?.has(op) ? null : schema]));
    checker = (msg) => {
      const schema = table.get(msg.op);
      if (schema === null) return null;
      if (schema === undefined) return notAccepted(dir, msg.op);
      const p = schema.check(msg);
      return p ? formatProblem(msg.op, p) : null;
    };
    checkers.set(dir, checker);
  }
  return checker;
}
const checkers = new WeakMap<Direction, (msg: { op: string }) => string | null>();

/** Why an op is refused on a direction that does not accept it: another role's op, or unknown. */
function notAccepted(dir: Direction, op: string): string {
  const owners = DIRECTIONS.filter((d) => Object.hasOwn(d.ops, op)).map((d) => `${d.from} to the ${d.to}`);
  const shown = JSON.stringify(op.length > 40 ? `${op.slice(0, 40)}…` : op);
  return owners.length
    ? `op ${shown} is not accepted from ${dir.from} (it is sent by ${owners.join(' and by ')})`
    : `unknown op ${shown} from ${dir.from}`;
}

// The hand-written interfaces in messages.ts are what code outside the wire uses; these lines
// fail to compile when they and the schemas drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<Infer<typeof TASK_SPEC>, TaskSpec>,
  Same<Infer<typeof TASK_ERROR>, TaskError>,
  Same<Infer<typeof WORKER_METRICS>, WorkerMetrics>,
] = [true, true, true];
void agree;
