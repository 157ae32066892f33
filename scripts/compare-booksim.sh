#!/usr/bin/env bash
# moefab's fabric beside BookSim2 (booksim/booksim2, the reference network simulator) on the
# matched config configs/fabric/booksim-k8n2.textproto: 8-ary 2-cube, DOR, 2 VCs, 8-flit
# buffers, 1-flit packets, 4-cycle router, 2-cycle channel. For uniform, tornado and
# bit-complement traffic it prints the zero-load latency T0 (at offered 0.02 flits/node/cycle),
# the saturation point (the first offered load whose mean latency exceeds 3 x T0, or where the
# simulator reports the network unstable; BookSim with 2, 4 and 8 VCs: the band moefab's 2-VC
# figure should fall in) and the CPU seconds of each whole sweep.
#
#   scripts/compare-booksim.sh BOOKSIM2_SOURCE_DIR     # builds BookSim2 there (make -C src)
#   BOOKSIM=/path/to/booksim scripts/compare-booksim.sh
#
# BookSim2 is not part of moefab: pass a checkout of its public source
# (git clone https://github.com/booksim/booksim2; building needs flex and bison).
# Needs a moefab build (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
config=configs/fabric/booksim-k8n2.textproto
booksim=${BOOKSIM:-}
if [[ -z "$booksim" ]]; then
  src=${1:-}
  if [[ -z "$src" || ! -f "$src/src/Makefile" ]]; then
    echo "compare-booksim.sh: BookSim2 not found: pass its source folder (with src/Makefile) or set BOOKSIM to its binary" >&2
    exit 2
  fi
  [[ -x "$src/src/booksim" ]] || make -C "$src/src" -j"$(nproc)" > /dev/null
  booksim="$src/src/booksim"
fi
[[ -x build/moefab ]] || { echo "compare-booksim.sh: build/moefab missing: run scripts/setup.sh" >&2; exit 2; }

out=$(mktemp -d "${TMPDIR:-/tmp}/moefab-booksim.XXXXXX")
trap 'rm -rf "$out"' EXIT
loads=(0.02 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0)

# moefab: one fabric-bench run over every pattern and load of the config.
/usr/bin/time -f "%U %S" -o "$out/moefab.time" build/moefab fabric-bench "$config" --out "$out/moefab" > "$out/moefab.log"

# BookSim: one run per pattern and load, the same router and channel timing.
booksim_run() {  # pattern load [vcs] -> "latency" or "unstable"
  cat > "$out/bs.cfg" <<EOF
topology = torus; k = 8; n = 2; routing_function = dim_order;
num_vcs = ${3:-2}; vc_buf_size = 8; wait_for_tail_credit = 0;
vc_allocator = separable_input_first; sw_allocator = separable_input_first; alloc_iters = 1;
credit_delay = 1; routing_delay = 1; vc_alloc_delay = 1; sw_alloc_delay = 1; st_final_delay = 1;
input_speedup = 1; output_speedup = 1; internal_speedup = 1.0;
traffic = $1; packet_size = 1; sim_type = latency; injection_rate = $2;
EOF
  local log="$out/bs-$1-$2-${3:-2}.log"
  /usr/bin/time -f "%U %S" -a -o "$out/booksim.time" "$booksim" "$out/bs.cfg" > "$log" 2>&1 || true
  if grep -q "unstable" "$log"; then
    echo unstable
  else
    grep "Packet latency average" "$log" | tail -1 | awk '{print $5}'
  fi
}

booksim_saturation() {  # pattern t0 vcs -> the first load past 3 x T0 (or unstable)
  local load l
  for load in "${loads[@]:1}"; do
    l=$(booksim_run "$1" "$load" "$3")
    if [[ "$l" == unstable ]] || awk -v l="$l" -v t="$2" 'BEGIN {exit !(l > 3 * t)}'; then echo "$load"; return; fi
  done
  echo none
}

printf "%-15s %10s %11s %7s %12s %21s\n" pattern "T0 moefab" "T0 BookSim" diff "sat. moefab" "sat. BookSim 2/4/8 VC"
for pair in uniform:uniform tornado:tornado bit_complement:bitcomp; do
  ours=${pair%%:*} theirs=${pair##*:}
  # moefab: mean latency per offered load from the CSV.
  mapfile -t lat < <(awk -F, -v p="$ours" '$1 == p {print $5}' "$out/moefab/fabric_bench.csv")
  t0_ours=${lat[0]}
  sat_ours=none
  for i in "${!loads[@]}"; do
    if awk -v l="${lat[$i]}" -v t="$t0_ours" 'BEGIN {exit !(l > 3 * t)}'; then sat_ours=${loads[$i]}; break; fi
  done
  t0_theirs=$(booksim_run "$theirs" 0.02)
  sat_theirs="$(booksim_saturation "$theirs" "$t0_theirs" 2) / $(booksim_saturation "$theirs" "$t0_theirs" 4)"
  sat_theirs="$sat_theirs / $(booksim_saturation "$theirs" "$t0_theirs" 8)"
  diff=$(awk -v a="$t0_ours" -v b="$t0_theirs" 'BEGIN {printf "%+.1f%%", 100 * (a / b - 1)}')
  printf "%-15s %10.2f %11.2f %7s %12s %21s\n" "$ours" "$t0_ours" "$t0_theirs" "$diff" "$sat_ours" "$sat_theirs"
done
echo "latencies in cycles (1 cycle = 1 ns = one 32-byte flit at 32,000 MB/s); saturation: offered flits/node/cycle"

# Speed: uniform traffic at 0.2 flits/node/cycle (below every saturation above), one long run
# each; packets = offered rate x 64 nodes x cycles simulated; CPU = user + system seconds.
sed -e 's/patterns: \[.*\]/patterns: [UNIFORM]/' -e 's/loads: \[.*\]/loads: [0.2]/' \
  -e 's/packet_payload_bytes: 16/packet_payload_bytes: 16\n    warmup_cycles: 2000\n    measure_cycles: 400000\n    all_to_all_bytes: 1/' \
  "$config" > "$out/speed.textproto"
/usr/bin/time -f "%U %S" -o "$out/moefab-speed.time" build/moefab fabric-bench "$out/speed.textproto" --out "$out/speed" > /dev/null
cat > "$out/bs-speed.cfg" <<EOF
topology = torus; k = 8; n = 2; routing_function = dim_order;
num_vcs = 2; vc_buf_size = 8; wait_for_tail_credit = 0;
vc_allocator = separable_input_first; sw_allocator = separable_input_first; alloc_iters = 1;
credit_delay = 1; routing_delay = 1; vc_alloc_delay = 1; sw_alloc_delay = 1; st_final_delay = 1;
input_speedup = 1; output_speedup = 1; internal_speedup = 1.0;
traffic = uniform; packet_size = 1; sim_type = latency; injection_rate = 0.2; sample_period = 20000;
EOF
/usr/bin/time -f "%U %S" -o "$out/booksim-speed.time" "$booksim" "$out/bs-speed.cfg" > "$out/bs-speed.log" 2>&1 || true
bs_cycles=$(grep "Time taken is" "$out/bs-speed.log" | tail -1 | awk '{print $4}')
awk -v mc="$(tail -1 "$out/moefab-speed.time")" -v bc="$(tail -1 "$out/booksim-speed.time")" -v bcy="$bs_cycles" 'BEGIN {
  split(mc, m, " "); split(bc, b, " ");
  mp = 0.2 * 64 * 402000; bp = 0.2 * 64 * bcy;
  mr = mp / (m[1] + m[2]); br = bp / (b[1] + b[2]);
  printf "speed, uniform 0.2: moefab %.0f packets in %.2f CPU s = %.0f k packets/CPU s; BookSim %.0f packets in %.2f CPU s = %.0f k packets/CPU s: %.1fx\n",
    mp, m[1] + m[2], mr / 1e3, bp, b[1] + b[2], br / 1e3, mr / br }'
