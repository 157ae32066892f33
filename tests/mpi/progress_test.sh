#!/usr/bin/env bash
# progress_test.sh MOEFAB MPIEXEC CONFIG OUT NP: a run of CONFIG (several seconds) on NP ranks
# with simulation.progress_seconds set to 1 prints at least two progress lines on rank 0 whose
# token counts (summed over the ranks) rise, stay below the total, and whose percentage and
# total agree with the config's workload.num_tokens.
set -uo pipefail
moefab=$1 mpiexec=$2 config=$3 out=$4 np=$5
rm -rf "$out" "$out.textproto"
sed -e 's/^simulation {/simulation {\n  progress_seconds: 1/' -e 's/num_tokens: 400000/num_tokens: 800000/' "$config" >"$out.textproto"
total=$(sed -n "s/^ *num_tokens: *\([0-9]*\).*/\1/p" "$out.textproto" | head -1)
fail() { echo "FAIL: $*"; cat "$out.log"; exit 1; }
"$mpiexec" -np "$np" --oversubscribe "$moefab" run "$out.textproto" --out "$out" >"$out.log" 2>&1 || fail "run failed"
grep 'progress:' "$out.log"
lines=$(grep -c 'progress: [0-9]* of '"$total"' tokens' "$out.log")
[ "$lines" -ge 2 ] || fail "expected at least 2 progress lines of $total tokens, found $lines"
grep 'progress:' "$out.log" | grep -q 'tokens per wall-second' || fail "no rate in the progress lines"
grep 'progress:' "$out.log" | grep -q ', ETA [0-9]* s' || fail "no ETA in the progress lines"
prev=0
while read -r done pct; do
  [ "$done" -gt "$prev" ] || fail "token count $done does not rise (after $prev)"
  [ "$done" -lt "$total" ] || fail "token count $done not below the total $total"
  # One decimal, rounded: within 0.05 (and a hair for a tie rounded either way) of the exact share.
  awk -v p="$pct" -v d="$done" -v t="$total" 'BEGIN { e = p - 100 * d / t; exit !(e <= 0.0501 && e >= -0.0501) }' ||
    fail "percentage $pct for $done of $total (expected $(awk -v d="$done" -v t="$total" 'BEGIN { print 100 * d / t }'))"
  prev=$done
done < <(sed -n 's/.*progress: \([0-9]*\) of [0-9]* tokens (\([0-9.]*\)%).*/\1 \2/p' "$out.log")
rm -rf "$out" "$out.log" "$out.textproto"
echo "$lines progress lines, rising to $prev of $total"
