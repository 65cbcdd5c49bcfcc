/**
 * The object shapes every Gluon process declares to its msgpack codec once (protocol 4 on): the
 * hot messages and their fixed parts, each a list of keys in the order the senders build them.
 * An object with exactly these keys in this order travels as a one-byte record id followed by
 * its values, and each side decodes it with a reader compiled once; any other object (user
 * values, rarer messages, keys in another order) is defined inside its frame as before. So the
 * list only decides speed, never what arrives.
 *
 * It is part of the wire format: a change (an entry added, removed, reordered or edited) needs a
 * new PROTOCOL_VERSION, or two builds would read each other's records with the wrong keys. The
 * handshake's messages (`hello`, `welcome`, `rejected`) are deliberately not here: every build
 * since protocol 3 reads them, so a peer of another version gets a clear version-mismatch reason
 * instead of an undecodable frame. The test `protocol/test/units/codec.ts` checks that each entry
 * names fields of a schema in ops.ts in their declared order.
 */
export const WIRE_RECORDS: readonly (readonly string[])[] = [
  // scheduler → worker
  ['op', 'key', 'fn', 'args', 'deps', 'priority'],
  // a compute-task's dependency, without and with its value
  ['key', 'holders'],
  ['key', 'holders', 'value'],
  ['module', 'export'],
  // an empty object
  [],
  // worker → scheduler
  ['op', 'key', 'nbytes', 'typeName', 'start', 'stop', 'thread', 'value', 'hasValue'],
  ['op', 'key', 'nbytes', 'typeName', 'start', 'stop', 'thread'],
  ['op', 'metrics'],
  ['cpu', 'rss', 'memoryLimit', 'executing', 'ready', 'stored', 'storedBytes', 'time', 'paused'],
  ['op', 'keys', 'running'],
  ['op', 'key', 'ok'],
  // scheduler → client
  ['op', 'key', 'nbytes', 'typeName', 'workers', 'value'],
  ['op', 'key', 'nbytes', 'typeName', 'workers'],
  // client → scheduler
  ['op', 'tasks', 'wants'],
  ['key', 'fn', 'group', 'args', 'deps'],
  ['__gluonRef'],
  // several directions: release-keys, free-keys, received, cancel, handback; cancelled, steal-request
  ['op', 'keys'],
  ['op', 'key'],
  // peers: get-data as `request` builds it (id last), and its `reply`
  ['op', 'keys', 'id'],
  ['op', 'data', 'missing', 'replyTo'],
];
