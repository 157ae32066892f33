#!/usr/bin/env bash
# sweep_resume_test.sh MOEFAB MPIEXEC CONFIG OUT: a 2-rank sweep of 2 points, then its second
# point's results removed (as if the sweep was killed while it ran) and the sweep run again
# with --resume: both ranks keep point 0, run point 1 again, and the results are complete.
set -uo pipefail
moefab=$1 mpiexec=$2 config=$3 out=$4
rm -rf "$out"
sweep() {
  "$mpiexec" -np 2 --oversubscribe "$moefab" sweep "$config" --set simulation.fidelity=ANALYTIC \
    --set workload.concurrency=2,8 --out "$out" "$@" >"$out.log" 2>&1
}
fail() { echo "FAIL: $*"; cat "$out.log"; exit 1; }
sweep || fail "first sweep failed"
rm "$out/point-001/results.json"
head -n 2 "$out/sweep.csv" >"$out/sweep.csv.cut" && mv "$out/sweep.csv.cut" "$out/sweep.csv"
touch -d '2000-01-01' "$out/point-000/results.json"
sweep --resume || fail "resumed sweep failed"
grep -q 'resume: 1 of 2 points finished before' "$out.log" || fail "no resume line"
[ -s "$out/point-001/results.json" ] || fail "point 1 not run again"
[ "$(date -r "$out/point-000/results.json" +%Y)" = 2000 ] || fail "point 0 run again"
[ "$(wc -l <"$out/sweep.csv")" -eq 3 ] || fail "sweep.csv has not 3 lines"
rm -rf "$out" "$out.log"
echo "resumed: point 0 kept, point 1 run again"
