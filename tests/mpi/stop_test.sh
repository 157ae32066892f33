#!/usr/bin/env bash
# stop_test.sh MOEFAB MPIEXEC CONFIG OUT TRANSPORT: SIGSTOP to rank 1 while 2 ranks run CONFIG
# (with simulation.peer_timeout_seconds set to 3) must end the job: rank 0 notices that rank 1
# is silent, prints one line naming it, and the job exits non-zero within the timeout plus a
# few seconds, without results.json or a temporary file.
set -uo pipefail
moefab=$1 mpiexec=$2 config=$3 out=$4 transport=$5
rm -rf "$out" "$out.textproto"
sed 's/^simulation {/simulation {\n  peer_timeout_seconds: 3/' "$config" >"$out.textproto"
grep -q 'peer_timeout_seconds: 3' "$out.textproto" || { echo "FAIL: no simulation section in $config"; exit 1; }
"$mpiexec" -np 2 --oversubscribe "$moefab" run "$out.textproto" --out "$out" --transport "$transport" \
  2>"$out.stderr" >/dev/null &
pid=$!
for _ in $(seq 1 600); do  # wait until both ranks log (the run is under way)
  [ -s "$out/logs/rank-1.log" ] && [ -s "$out/logs/rank-0.log" ] && break
  sleep 0.1
done
sleep 0.5
rank1=""
for child in $(pgrep -P "$pid"); do
  if tr '\0' '\n' <"/proc/$child/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then rank1=$child; fi
done
fail() {
  echo "FAIL: $*"
  echo "--- stderr:"
  cat "$out.stderr"
  [ -n "$rank1" ] && kill -CONT "$rank1" 2>/dev/null
  kill -KILL "$pid" 2>/dev/null
  exit 1
}
[ -n "$rank1" ] || fail "rank 1's process not found among mpirun's children"
kill -STOP "$rank1"
start=$(date +%s)
for _ in $(seq 1 300); do  # at most 30 s
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
took=$(($(date +%s) - start))
if kill -0 "$pid" 2>/dev/null; then fail "the job still runs ${took} s after rank 1 was stopped"; fi
wait "$pid"
rc=$?
kill -CONT "$rank1" 2>/dev/null
[ "$rc" -ne 0 ] || fail "exit code 0 with a stopped rank"
grep -q 'no progress from rank 1 for 3 s' "$out.stderr" || fail "no line naming rank 1"
[ ! -e "$out/results.json" ] || fail "results.json written"
tmp=$(find "$out" -name '*.tmp' | head -1)
[ -z "$tmp" ] || fail "temporary file left: $tmp"
grep 'no progress' "$out.stderr"
rm -rf "$out" "$out.stderr" "$out.textproto"
echo "ended ${took} s after rank 1 stopped, exit $rc"
