/**
 * The cases that need no process beyond this one (a few run openssl or a short node script): the
 * codec, the schemas, the CLI and option parsers, and listeners and connections over loopback
 * sockets in this process, one module of cases each in units/, run in this one test process.
 * Each was a test file of its own that cost ~1 CPU-s to start under tap, most for under a second
 * of cases. Each case starts and closes what it uses. Files of their own still: heap.test.ts (it
 * measures this process's heap after a collection), reassembly.test.ts (this process's
 * arrayBuffers and the module-wide count of header claims, and it stalls the whole process),
 * unauthenticated.test.ts (its no-descriptor case sheds the process's oldest unauthenticated
 * connections, whichever listener holds them); cases that start processes are in
 * processes.test.ts.
 * One module's cases alone: `npx tap packages/protocol/test/units.test.ts --grep <name>`, or
 * `npx tsx packages/protocol/test/units/<module>.ts`.
 */
import './units/cli.js';
import './units/codec.js';
import './units/connection-drops.js';
import './units/count-of.js';
import './units/encoded-values.js';
import './units/frame-answers.js';
import './units/log-text.js';
import './units/option-keys.js';
import './units/origin.js';
import './units/protocol.js';
import './units/proxy-env.js';
import './units/schema.js';
import './units/send-backlog.js';
import './units/shedding.js';
import './units/tls.js';
import './units/token.js';
import './units/unix-socket.js';
import './units/values.js';
import './units/whole-frames.js';
// Last: its cases add an extension 0x67 to msgpackr's own copies (as imported and as required),
// which they keep for the rest of the process.
import './units/codec-own-msgpackr.js';
