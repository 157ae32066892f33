#!/usr/bin/env bash
# Fuzzes every reader of user input with libFuzzer (tests/fuzz): builds the targets with
# clang-14 into build-fuzz/ (AddressSanitizer + UBSan), replays the saved reproducers in
# tests/fuzz/crashes/<target>/ (each must now run clean), then fuzzes each target for
# FUZZ_SECONDS (default 30) from tests/fuzz/corpus/<target>/ plus the shipped configs, model
# configs and bad goldens. A finding is copied to tests/fuzz/crashes/<target>/ and fails the
# script. Called by .ci/run after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-$(nproc)}

missing=()
for p in clang-14 libfuzzer-14-dev; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DMOEFAB_BUILD_TESTS=OFF -DMOEFAB_FUZZ=ON -DMOEFAB_RTL_BUILDS="" >/dev/null
targets=(config hf_config safetensors trace placement)
cmake --build build-fuzz -j"$jobs" --target "${targets[@]/#/fuzz_}"

seeds_of() {
  case $1 in
    config) echo configs configs/models configs/bench configs/fabric tests/golden/bad tests/mpi ;;
    hf_config) echo configs/models/hf ;;
    trace) echo tests/golden/bad ;;
    *) echo ;;
  esac
}

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  exe=build-fuzz/tests/fuzz/fuzz_$t
  crashes=tests/fuzz/crashes/$t
  if compgen -G "$crashes/*" >/dev/null; then
    echo "fuzz $t: replaying $(ls "$crashes" | wc -l) saved reproducers"
    "$exe" -runs=1 "$crashes"/* >"build-fuzz/fuzz_$t.replay.log" 2>&1 ||
      { echo "fuzz $t: a saved reproducer fails again:"; tail -40 "build-fuzz/fuzz_$t.replay.log"; status=1; }
  fi
  work=$(mktemp -d)
  mkdir -p "$work/corpus" "$work/artifacts"
  # shellcheck disable=SC2046
  if "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "tests/fuzz/corpus/$t" \
      $(seeds_of "$t") >"build-fuzz/fuzz_$t.log" 2>&1; then
    echo "fuzz $t: $(grep -o 'stat::number_of_executed_units: [0-9]*' "build-fuzz/fuzz_$t.log" | awk '{print $2}') runs, no finding"
  else
    mkdir -p "$crashes"
    cp "$work"/artifacts/* "$crashes"/ 2>/dev/null || true
    echo "fuzz $t: FINDING (reproducer copied to $crashes):"
    grep -E "ERROR|SUMMARY|runtime error|terminate" "build-fuzz/fuzz_$t.log" | head -20
    status=1
  fi
  rm -rf "$work"
done
rm -f "${TMPDIR:-/tmp}"/moefab-fuzz-*
exit $status
