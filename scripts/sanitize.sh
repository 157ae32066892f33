#!/usr/bin/env bash
# Builds the unit and MPI tests with AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -O1,
# build-asan/) and runs them with ctest, except the heavy RTL variants (2880x2880, 512x1024),
# the on-demand Verilator builds and yosys (labels tapeout, area), the 4-rank determinism run
# (over 300 s under ASan on 2 cores; 1 and 2 ranks run) and the progress-line tests (runs of
# 800,000 timing-only tokens, minutes under ASan, through the same code as the other runs) and
# the checkpoint tests but one (each runs 20,000 tokens four times; the 1-rank one stays). Every sanitizer report is fatal
# (-fno-sanitize-recover=all, halt_on_error), so any report fails the script. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${SANITIZE_JOBS:-$(nproc)}
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  >/dev/null
cmake --build build-asan -j"$jobs"
source scripts/mpi-env.sh
# Leaks: Open MPI and UCX keep allocations until exit by design; everything else is on.
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -E "2880x2880|512x1024|mpi_determinism_np4|cli_progress_|cli_checkpoint_resume_np2|cli_checkpoint_resume_batches|cli_sweep_checkpoint" \
  -LE "tapeout|area"
