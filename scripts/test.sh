#!/usr/bin/env bash
# Builds moefab and runs the whole test suite (unit, MPI at 1/2/4 ranks, CLI) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/mpi-env.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600
