#!/usr/bin/env bash
# checkpoint_test.sh MOEFAB MPIEXEC CONFIG OUT NP [--set F=V ...]: a run of CONFIG (ANALYTIC,
# 10,000 tokens, with the extra --set edits) on NP ranks writing checkpoints is stopped with
# SIGTERM once its first checkpoint exists, as a batch system ends a job at its time limit; the
# run resumed from that checkpoint (--resume) must produce the same results.json outside host as
# an uninterrupted run, from a checkpoint taken before the last token finished. A resume without
# a checkpoint, and one on another rank count, is bad input (exit 2).
set -uo pipefail
source "$(dirname "$0")/stop_when.sh"
moefab=$1 mpiexec=$2 config=$3 out=$4 np=$5
shift 5
rm -rf "$out"
mkdir -p "$out"
sets=(--set simulation.fidelity=ANALYTIC --set workload.num_tokens=10000 --set simulation.checkpoint_every_us=250 "$@")
run() {  # run NAME [extra args]: moefab run into $out/NAME, log in $out/NAME.log
  (exec_run "$@")
}
exec_run() {  # as run, with mpiexec in this very process (so that a signal reaches it)
  local name=$1
  shift
  exec "$mpiexec" -np "$np" --oversubscribe "$moefab" run "$config" --out "$out/$name" "${sets[@]}" "$@" \
    >"$out/$name.log" 2>&1
}

run whole || { echo "FAIL: the uninterrupted run failed"; cat "$out/whole.log"; exit 1; }

# The interrupted run: SIGTERM as soon as a whole checkpoint is in place.
exec_run killed &  # the background subshell becomes mpiexec: $! is mpiexec's pid
stop_when $! "$out/killed/checkpoint/rank-$((np - 1)).state" "--out $out/killed "
code=$?
[ $code -ne 0 ] && [ ! -e "$out/killed/results.json" ] ||
  { echo "FAIL: the run was not stopped before it finished (exit $code): make it longer"; exit 1; }
if pgrep -f -- "--out $out/killed " >/dev/null; then
  echo "FAIL: ranks of the stopped run are still running"
  exit 1
fi
leftover=$(find "$out/killed" -name "*.tmp*")
[ -z "$leftover" ] || { echo "FAIL: temporary files left after SIGTERM: $leftover"; exit 1; }

run killed --resume || { echo "FAIL: the resumed run failed"; cat "$out/killed.log"; exit 1; }
at=$(sed -n 's/.*resume: from the checkpoint at simulated \([0-9.]*\) us.*/\1/p' "$out/killed.log")
[ -n "$at" ] || { echo "FAIL: did not resume"; cat "$out/killed.log"; exit 1; }
makespan=$(sed -n 's/.*"makespan_ns": *\([0-9.]*\).*/\1/p' "$out/whole/results.json" | head -1)
awk -v at="$at" -v m="$makespan" 'BEGIN { exit !(at * 1000 < m) }' ||
  { echo "FAIL: resumed at $at us, not before the makespan ($makespan ns)"; exit 1; }
golden=ON  # a timing-only run says so and carries no values to check
grep -q "golden check: skipped (a timing-only run" "$out/whole.log" && golden=OFF
cmake -DBASE="$out" -DDIRS=whole,killed -DGOLDEN=$golden -P "$(dirname "$0")/compare_results.cmake" || exit 1

run none --resume
code=$?
[ $code -eq 2 ] && grep -q "cannot read the checkpoint" "$out/none.log" ||
  { echo "FAIL: resume without a checkpoint gave exit $code"; cat "$out/none.log"; exit 1; }
other=$((np == 1 ? 2 : 1))
"$mpiexec" -np "$other" --oversubscribe "$moefab" run "$config" --out "$out/killed" "${sets[@]}" --resume \
  >"$out/other.log" 2>&1
code=$?
[ $code -eq 2 ] && grep -q "written by a run on $np rank" "$out/other.log" ||
  { echo "FAIL: resume on $other ranks gave exit $code"; cat "$out/other.log"; exit 1; }
echo "PASS: a run stopped by SIGTERM and resumed from its checkpoint at $at us (makespan $makespan ns) is identical on $np rank(s)"
