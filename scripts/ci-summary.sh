#!/usr/bin/env bash
# The end of .ci/run: from a tap log and tap's exit status, prints what failed (scripts/tap-failures.sh),
# then "N skipped", then as the last line "N passed, N failed" from tap's summary, and exits with tap's
# status (a log with no tests or no summary fails).
# Usage: ci-summary.sh LOG STATUS
set -uo pipefail
log=${1:?usage: ci-summary.sh LOG STATUS}
status=${2:?usage: ci-summary.sh LOG STATUS}
summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
num() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
total=$(num total); pass=$(num pass); fail=$(num fail); skip=$(num skip)
[ -n "$summary" ] || { echo "no tap summary found"; [ "$status" = 0 ] && status=1; }
[ "${total:-0}" -gt 0 ] || { [ "$status" = 0 ] && status=1; }
bash "$(dirname "$0")/tap-failures.sh" "$log" || echo "(could not list the failures: see the log above)"
echo "${skip:-0} skipped"
echo "${pass:-0} passed, ${fail:-0} failed"
exit "$status"
