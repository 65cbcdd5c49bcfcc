#!/usr/bin/env bash
# Lists the failures in a tap log: each failing assertion by its path (file › subtest › … › assertion)
# with the useful part of its diagnostics (diff, message, stack; not the quoted source). A failing
# subtest with no failing assertion inside it (a file that crashed, or a timeout) is listed itself.
# .ci/run prints this just before its last line, so a CI that shows only the end of its output still
# names what failed. Prints nothing when nothing failed.
# Usage: tap-failures.sh LOG [MAX_FAILURES (default 10)] [MAX_LINES_PER_FAILURE (default 24)]
set -euo pipefail
log=${1:?usage: tap-failures.sh LOG [MAX_FAILURES] [MAX_LINES_PER_FAILURE]}
[ -r "$log" ] || { echo "tap-failures.sh: cannot read the log $log" >&2; exit 2; }
awk -v max="${2:-10}" -v maxlines="${3:-24}" '
function depth(line) { match(line, /^ */); return int(RLENGTH / 4) }
function pathto(d,   p, i) { p = ""; for (i = 0; i < d; i++) p = p name[i] " › "; return p }
function report(text) {
  shown++
  if (shown <= max) { out = out "  " text "\n"; yaml = 1; kept = 0; skipping = 0 }
}
{ sub(/\r$/, "") }
# The YAML block under a reported failure: keep what says what went wrong.
yaml == 1 {
  if ($0 ~ /^ *---$/) { match($0, /^ */); yamlindent = RLENGTH; next }
  if ($0 ~ /^ *\.\.\.$/) { yaml = 0; next }
  match($0, /^ */)
  if (RLENGTH == yamlindent && length($0) > yamlindent) skipping = ($0 ~ /^ *(source|at):/)
  if (!skipping && kept < maxlines) { out = out "      " substr($0, yamlindent + 1) "\n"; kept++ }
  next
}
/^ *# Subtest: / {
  d = depth($0); t = $0; sub(/^ *# Subtest: /, "", t)
  name[d] = t; open[d] = 1; leavesat[d] = leaves
  next
}
/^ *(not )?ok [0-9]+( - |$)/ {
  d = depth($0); failed = ($0 ~ /^ *not ok/)
  t = $0; sub(/^ *(not )?ok [0-9]+( - )?/, "", t); sub(/ # time=[0-9.]+m?s$/, "", t)
  if (open[d] && t == name[d]) {
    open[d] = 0
    # A failing subtest that holds no failing assertion failed on its own (crash, timeout, plan).
    if (failed && leaves == leavesat[d]) { leaves++; report(pathto(d) t) }
  } else if (failed) { leaves++; report(pathto(d) t) }
  next
}
END {
  if (shown == 0) exit
  printf "failed (%d):\n%s", shown, out
  if (shown > max) printf "  … and %d more (the log above has them)\n", shown - max
}
' "$log"
