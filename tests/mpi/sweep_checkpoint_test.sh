#!/usr/bin/env bash
# sweep_checkpoint_test.sh MOEFAB MPIEXEC CONFIG OUT: a two-point sweep of CONFIG (ANALYTIC,
# 20,000 tokens, checkpoints every 500 simulated us) is stopped with SIGTERM once its second
# point has written a checkpoint; `sweep --resume` keeps the first point and goes on with the
# second from its checkpoint; both points' results.json equal an uninterrupted sweep's outside
# host.
set -uo pipefail
source "$(dirname "$0")/stop_when.sh"
moefab=$1 mpiexec=$2 config=$3 out=$4
rm -rf "$out"
mkdir -p "$out"
args=(--set simulation.fidelity=ANALYTIC --set workload.num_tokens=20000 --set simulation.checkpoint_every_us=500
  --set workload.input_seed=7,8)
exec_sweep() {  # exec_sweep NAME [extra args]: mpiexec in this very process (so that a signal reaches it)
  local name=$1
  shift
  exec "$mpiexec" -np 1 "$moefab" sweep "$config" --out "$out/$name" "${args[@]}" "$@" >"$out/$name.log" 2>&1
}

(exec_sweep whole) || { echo "FAIL: the uninterrupted sweep failed"; cat "$out/whole.log"; exit 1; }

exec_sweep stopped &  # the background subshell becomes mpiexec: $! is its pid
stop_when $! "$out/stopped/point-001/checkpoint/rank-0.state" "--out $out/stopped "
code=$?
[ $code -ne 0 ] && [ ! -e "$out/stopped/point-001/results.json" ] && [ -e "$out/stopped/point-000/results.json" ] ||
  { echo "FAIL: the sweep was not stopped in its second point (exit $code): make it longer"; exit 1; }

(exec_sweep stopped --resume) || { echo "FAIL: the resumed sweep failed"; cat "$out/stopped.log"; exit 1; }
grep -q "point-000): finished before, kept" "$out/stopped.log" || { echo "FAIL: point-000 not kept"; exit 1; }
grep -q "resume: from the checkpoint at simulated" "$out/stopped.log" ||
  { echo "FAIL: point-001 did not resume from its checkpoint"; cat "$out/stopped.log"; exit 1; }
for p in point-000 point-001; do
  mkdir -p "$out/cmp-$p"
  cp "$out/whole/$p/results.json" "$out/cmp-$p/whole.json"
  cp "$out/stopped/$p/results.json" "$out/cmp-$p/stopped.json"
  for r in whole stopped; do mkdir -p "$out/cmp-$p/$r" && mv "$out/cmp-$p/$r.json" "$out/cmp-$p/$r/results.json"; done
  cmake -DBASE="$out/cmp-$p" -DDIRS=whole,stopped -P "$(dirname "$0")/compare_results.cmake" || exit 1
done
echo "PASS: a sweep stopped in its second point and resumed gives the same results"
