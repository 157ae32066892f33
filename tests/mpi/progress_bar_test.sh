#!/usr/bin/env bash
# progress_bar_test.sh MOEFAB CONFIG OUT: with stderr on a terminal (a pseudo-terminal from
# script(1)), a long run draws its progress as a bar redrawn in place (carriage returns, no
# "progress:" log lines on the console) while the rank's log file keeps the progress lines.
set -uo pipefail
moefab=$1 config=$2 out=$3
rm -rf "$out" "$out.textproto"
sed -e 's/^simulation {/simulation {\n  progress_seconds: 1/' -e 's/num_tokens: 400000/num_tokens: 800000/' "$config" >"$out.textproto"
fail() { echo "FAIL: $*"; tr '\r' '\n' <"$out.console" | head -20; exit 1; }
script -qec "$moefab run $out.textproto --out $out" /dev/null >"$out.console" 2>&1 || fail "run failed"
bars=$(tr '\r' '\n' <"$out.console" | grep -ac '^.\[K\[[#.]*\] *[0-9.]*% [0-9]*/[0-9]* tokens')
[ "$bars" -ge 2 ] || fail "expected at least 2 bar redraws, found $bars"
! grep -aq 'progress:' "$out.console" || fail "progress log lines on the terminal"
grep -aq 'info: tokens ' "$out.console" || fail "no summary line after the bar"
[ "$(grep -c 'progress:' "$out/logs/rank-0.log")" -ge 2 ] || fail "the log file lacks the progress lines"
rm -rf "$out" "$out.console" "$out.textproto"
echo "$bars bar redraws on the terminal"
