#!/usr/bin/env bash
# signal_test.sh MOEFAB MPIEXEC CONFIG OUT: SIGTERM to mpirun while 2 ranks run CONFIG must end
# the job within 15 s with one "terminated (SIGTERM)" line, exit 143 (or mpirun's non-zero
# code), no results.json, no temporary file, and rank logs that end with a whole line.
set -uo pipefail
moefab=$1 mpiexec=$2 config=$3 out=$4
rm -rf "$out"
"$mpiexec" -np 2 --oversubscribe "$moefab" run "$config" --out "$out" 2>"$out.stderr" >/dev/null &
pid=$!
for _ in $(seq 1 600); do  # wait until both ranks log (the run is under way)
  [ -s "$out/logs/rank-1.log" ] && [ -s "$out/logs/rank-0.log" ] && break
  sleep 0.1
done
sleep 0.5
kill -TERM "$pid"
start=$(date +%s)
wait "$pid"
rc=$?
took=$(($(date +%s) - start))
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat "$out.stderr"; exit 1; }
[ "$rc" -ne 0 ] || fail "exit code 0 after SIGTERM"
[ "$took" -le 15 ] || fail "took ${took} s to stop"
[ "$(grep -c 'moefab: terminated (SIGTERM)' "$out.stderr")" -eq 1 ] || fail "expected one 'terminated (SIGTERM)' line"
[ ! -e "$out/results.json" ] || fail "results.json written"
tmp=$(find "$out" -name '*.tmp' | head -1)
[ -z "$tmp" ] || fail "temporary file left: $tmp"
for log in "$out"/logs/rank-*.log; do
  [ -z "$(tail -c 1 "$log")" ] || fail "$log ends mid-line"
done
rm -rf "$out" "$out.stderr"
echo "stopped in ${took} s, exit $rc"
