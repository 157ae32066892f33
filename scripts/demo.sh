#!/usr/bin/env bash
# Builds moefab and runs the embedded default config (configs/tiny.textproto) on 2 MPI ranks;
# results land in out/tiny/results.json. Usage: scripts/demo.sh [extra moefab run args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/mpi-env.sh
mpirun -np 2 --oversubscribe build/moefab run --out out/tiny "$@"
echo "results: out/tiny/results.json"
