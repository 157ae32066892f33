#!/usr/bin/env bash
# Parallel scaling of one config: runs `moefab sweep` on 1, 2, ... MPI ranks, interleaved
# (1 2 1 2 ...: a shared machine's noise falls on every rank count alike), and prints the best
# simulate wall time of each rank count with its speedup over one rank, the parallel
# efficiency, CPU seconds (user + system, all ranks), the engine's window figures and the
# windows' critical path (the least time their work takes, however cheap the exchange).
#
#   scripts/scaling.sh CONFIG [RANKS...] [--repeat N] [--set FIELD=VALUE ...]
#   scripts/scaling.sh configs/models/deepseek-v3.textproto 1 2 --set workload.num_tokens=2000
#
# RANKS default to "1 2"; --repeat (default 3) is the number of runs of each rank count; every
# --set is passed to `moefab sweep` (one value each). Beyond the cores of the machine the
# ranks are oversubscribed: correct, but not a measure of speed. The simulated results of
# every run must be identical (checked: the table says so). Needs a build (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:?usage: scripts/scaling.sh CONFIG [RANKS...] [--repeat N] [--set FIELD=VALUE ...]}
shift
ranks=() sets=() repeat=3
while (($#)); do
  case "$1" in
    --repeat) repeat=${2:?--repeat needs a count}; shift 2 ;;
    --set) sets+=(--set "${2:?--set needs FIELD=VALUE}"); shift 2 ;;
    *) ranks+=("$1"); shift ;;
  esac
done
((${#ranks[@]})) || ranks=(1 2)
((${#sets[@]})) || sets=(--set "simulation.progress_seconds=600")
source scripts/mpi-env.sh
cores=$(nproc)
out=$(mktemp -d "${TMPDIR:-/tmp}/moefab-scaling.XXXXXX")
trap 'rm -rf "$out"' EXIT
for ((i = 0; i < repeat; i++)); do
  for r in "${ranks[@]}"; do
    dir="$out/np$r-run$i"
    extra=()
    ((r > cores)) && extra=(--oversubscribe)
    /usr/bin/time -f "%U %S" -o "$dir.time" mpirun -np "$r" "${extra[@]}" build/moefab sweep "$config" \
      "${sets[@]}" --out "$dir" > "$dir.log" 2>&1 || { echo "run failed: $dir.log"; cat "$dir.log"; exit 1; }
    echo "ranks $r, run $((i + 1)) of $repeat: $(python3 -c "import json; print(round(json.load(open('$dir/point-000/results.json'))['host']['simulate_wall_seconds'], 2))") s" >&2
  done
done
python3 - "$out" "$cores" "${ranks[@]}" <<'PY'
import glob, hashlib, json, os, sys
out, cores, ranks = sys.argv[1], int(sys.argv[2]), [int(r) for r in sys.argv[3:]]
def simulated(j):
    j = dict(j)
    for k in ('host', 'config', 'config_path'):
        j.pop(k, None)
    return hashlib.sha256(json.dumps(j, sort_keys=True).encode()).hexdigest()
rows, fingerprints = {}, set()
for r in ranks:
    runs = []
    for path in sorted(glob.glob(f'{out}/np{r}-run*/point-000/results.json')):
        j = json.load(open(path))
        fingerprints.add(simulated(j))
        user, system = map(float, open(path.split('/point-000')[0] + '.time').read().split()[-2:])
        runs.append((j['host'], user + system))
    rows[r] = runs
base = min(h['simulate_wall_seconds'] for h, _ in rows[ranks[0]]) * ranks[0] if ranks[0] == 1 else None
print(f'{"ranks":>5} {"best s":>8} {"runs (s)":<24} {"speedup":>7} {"effic.":>6} {"CPU s":>7} '
      f'{"sync":>7} {"windows":>10} {"ev/window":>9} {"imbalance":>9}')
for r in ranks:
    runs = rows[r]
    best_host, best_cpu = min(runs, key=lambda x: x[0]['simulate_wall_seconds'])
    best = best_host['simulate_wall_seconds']
    speedup = base / best if base else float('nan')
    note = ' (oversubscribed)' if r > cores else ''
    times = ' '.join('%.2f' % h['simulate_wall_seconds'] for h, _ in runs)
    print(f'{r:>5} {best:>8.2f} {times:<24} '
          f'{speedup:>7.2f} {speedup / r:>6.2f} {best_cpu:>7.1f} {best_host.get("sync", "-"):>7} '
          f'{best_host["windows"]:>10} {best_host.get("events_per_window", 0):>9.1f} '
          f'{best_host.get("load_imbalance", 1):>9.2f}{note}')
print('per rank of the best runs: work / deferred work / waiting, seconds')
for r in ranks:
    best_host = min(rows[r], key=lambda x: x[0]['simulate_wall_seconds'])[0]
    parts = ['%.1f/%.1f/%.1f' % (p['work_seconds'], p['background_seconds'], p['wait_seconds'])
             for p in best_host.get('per_rank', [])]
    print(f'{r:>5} ' + ' '.join(parts))
# The windows' critical path (results.json host.critical_path_seconds): per window the busiest
# rank's work, summed. However cheap the exchange, the windows take at least that long.
for r in ranks:
    best_host = min(rows[r], key=lambda x: x[0]['simulate_wall_seconds'])[0]
    path = best_host.get('critical_path_seconds', 0)
    if path > 0:
        bound = f', at most {base / path:.2f}x over one rank with a free exchange' if base else ''
        print(f'{r:>5} ranks: critical path of the windows {path:.2f} s, parallelism '
              f'{best_host.get("window_parallelism", 0):.2f}{bound}')
print('simulated results: ' + ('identical in every run' if len(fingerprints) == 1 else
                               f'DIFFER ({len(fingerprints)} different results.json)'))
sys.exit(0 if len(fingerprints) == 1 else 1)
PY
