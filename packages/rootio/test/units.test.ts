/**
 * The reader's and writer's cases that can share a process, one module of cases each in units/,
 * run in this one test process: reads and writes here (committed fixtures, files the cases write,
 * the shared data), loopback HTTP servers, worker threads and child processes of their own. Each
 * was a test file of its own that cost ~1.1 CPU-s to start under tap, most for a second or less
 * of cases.
 * Left in files of their own, since they measure or change something process-wide: read-memory
 * (the read memory kept, asserted exactly), column-prefault and thread-reads (module-wide
 * prefault and reading-thread counters and thresholds), ring-kernel (rings made and baskets
 * walked in rings, counted module-wide), inflate-pool (the process's decompression threads and
 * kept ring; a listener-leak warning anywhere in it), http-hostile (its `t.jobs = 2` would run
 * every module's cases two at a time), http-signals (removes AbortSignal.any; counts the
 * process's warnings), starved-process (starves the process's own timers), fuzz and roundtrip-big
 * (the process's RSS), bombs (256 MiB allocated at its top). fuzz-replay* and
 * parallel-decompress are long CPU-bound files, whose cost is their own work.
 * One case alone: `npx tap packages/rootio/test/units.test.ts --grep <its name>`; one module's
 * cases: `npx tsx packages/rootio/test/units/<module>.ts`.
 */
import './units/base-class-branches.js';
import './units/basket-errors.js';
import './units/branch-reads.js';
import './units/byte-order.js';
import './units/closed.js';
import './units/clusters.js';
import './units/column-kinds.js';
import './units/damaged-input.js';
import './units/decode-reference.js';
import './units/directories.js';
import './units/empty-ranges.js';
import './units/error-text.js';
import './units/fuzz-findings.js';
import './units/histogram-read.js';
import './units/histograms-nd.js';
import './units/http.js';
import './units/into-columns.js';
import './units/metadata.js';
import './units/missing-path.js';
import './units/names-utf8.js';
import './units/no-jsroot.js';
import './units/not-root.js';
import './units/object-fields.js';
import './units/offset-map.js';
import './units/packed-leaves.js';
import './units/packed-members.js';
import './units/public-files.js';
import './units/ranges.js';
import './units/read-args.js';
import './units/read-equals-jsroot.js';
import './units/read-failure.js';
import './units/readme-examples.js';
import './units/rntuple.js';
import './units/roundtrip.js';
import './units/roundtrip-edges.js';
import './units/shapes.js';
import './units/shared-copy.js';
import './units/shared-data.js';
import './units/shared-offsets.js';
import './units/small-objects.js';
import './units/source-runs.js';
import './units/split-objects.js';
import './units/stl-containers.js';
import './units/streamer-fallbacks.js';
import './units/tobject-branches.js';
import './units/tree-object.js';
import './units/unsplit-objects.js';
import './units/vector-walk.js';
import './units/vector-walk-limit.js';
import './units/worker-thread.js';
import './units/write-fields.js';
import './units/write-histogram-axes.js';
import './units/write-th2d.js';
import './units/write-values.js';
import './units/xz.js';
import './units/zlib-into.js';
