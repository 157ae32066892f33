#!/usr/bin/env bash
# checkpoint_test.sh MOEFAB MPIEXEC CONFIG OUT NP: a run of CONFIG (ANALYTIC) on NP ranks
# writes checkpoints; a second run started from a copy of its checkpoint (--resume) must
# produce the same results.json outside host, and the golden check must match. A resume
# without a checkpoint, and one on another rank count, is bad input (exit 2).
set -uo pipefail
moefab=$1 mpiexec=$2 config=$3 out=$4 np=$5
rm -rf "$out"
mkdir -p "$out"
sets=(--set simulation.fidelity=ANALYTIC --set simulation.checkpoint_every_us=300)
"$mpiexec" -np "$np" --oversubscribe "$moefab" run "$config" --out "$out/whole" "${sets[@]}" >"$out/whole.log" 2>&1 ||
  { echo "FAIL: the checkpointing run failed"; cat "$out/whole.log"; exit 1; }
grep -q "checkpoint: simulated" "$out/whole.log" || { echo "FAIL: no checkpoint written"; exit 1; }
mkdir -p "$out/resumed" && cp -r "$out/whole/checkpoint" "$out/resumed/"
"$mpiexec" -np "$np" --oversubscribe "$moefab" run "$config" --out "$out/resumed" "${sets[@]}" --resume \
  >"$out/resumed.log" 2>&1 || { echo "FAIL: the resumed run failed"; cat "$out/resumed.log"; exit 1; }
grep -q "resume: from the checkpoint" "$out/resumed.log" || { echo "FAIL: did not resume"; exit 1; }
cmake -DBASE="$out" -DDIRS=whole,resumed -P "$(dirname "$0")/compare_results.cmake" || exit 1
"$mpiexec" -np "$np" --oversubscribe "$moefab" run "$config" --out "$out/none" "${sets[@]}" --resume \
  >"$out/none.log" 2>&1
code=$?
[ $code -eq 2 ] && grep -q "cannot read the checkpoint" "$out/none.log" ||
  { echo "FAIL: resume without a checkpoint gave exit $code"; cat "$out/none.log"; exit 1; }
other=$((np == 1 ? 2 : 1))
"$mpiexec" -np "$other" --oversubscribe "$moefab" run "$config" --out "$out/resumed" "${sets[@]}" --resume \
  >"$out/other.log" 2>&1
code=$?
[ $code -eq 2 ] && grep -q "ranks" "$out/other.log" ||
  { echo "FAIL: resume on $other ranks gave exit $code"; cat "$out/other.log"; exit 1; }
echo "PASS: resumed run identical on $np rank(s)"
