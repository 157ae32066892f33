// Energy of a run: dynamic energy of the expert MACs (per format), of the bits moved over
// links (per bit per hop), of the attention chips' FLOPs, plus every chip's static power over
// the makespan. Parameters: configs/moefab.proto `Energy` (defaults are assumptions, README).
// Omits: SRAM/ROM read energy separate from the MAC, router buffer energy, DRAM energy of the
// KV cache (folded into attention_pj_per_flop), power gating of idle chips, and the HBM reads of
// memory-bound expert chips (weight_style HBM: their MACs count at the format's mac_pj; no
// per-byte figure is modelled, so give such a chip its board power as static_power_w).
#pragma once

#include <cstdint>

#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"
#include "runtime/results/rank_report.h"

namespace moefab {

struct EnergyReport {
  uint64_t macs = 0;             // expert MACs: jobs x 3 x d_model x expert_width
  uint64_t link_bit_hops = 0;    // bits sent over links (each link traversal counts once)
  uint64_t attention_flops = 0;  // attention + dense-layer FLOPs
  double mac_j = 0, link_j = 0, attention_j = 0, static_j = 0;
  double total_j = 0;      // sum of the four
  double per_token_j = 0;  // total / tokens
};

/// Joules of the merged run; `makespan_ps` is the simulated span the static power is paid for.
EnergyReport ComputeEnergy(const RunOptions& options, const ClusterPlan& plan, const RankReport& merged,
                           Tick makespan_ps);

}  // namespace moefab
