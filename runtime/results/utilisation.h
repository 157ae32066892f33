// MoE utilisation of the hardwired expert chips: only top-k of E experts work per token, so
// most etched weights idle. Per expert chip and overall: the fraction of the etched weights a
// token uses (jobs per token x 3DI over the chip's slots x 3DI) and the MAC-lane utilisation
// (useful MACs over the lanes' capacity across the makespan: each slot has LANES MACs for gate,
// up and down, 3 x LANES per cycle). Computed from the merged chip records, so it is identical
// for any rank count. Omits: HBM (memory-weight) chips (no etched weights, no lanes).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/config/options.h"
#include "runtime/results/rank_report.h"

namespace moefab {

struct ChipUtilisation {
  NodeId node = 0;
  uint32_t sku = 0;
  uint64_t etched_weights = 0;          // slots x 3DI
  double weights_used_per_token = 0;    // jobs x 3DI / tokens
  double weight_use_fraction = 0;       // weights_used_per_token / etched_weights
  double mac_lane_utilisation = 0;      // jobs x 3DI / (slots x 3 lanes x cycles of the makespan)
};

struct Utilisation {
  std::vector<ChipUtilisation> chips;  // etched expert chips, by node
  uint64_t etched_weights = 0;         // over those chips
  double weights_used_per_token = 0;
  double weight_use_fraction = 0;
  double mac_lane_utilisation = 0;     // useful MACs over the lanes' capacity, all chips
};

/// `tokens`: tokens completed; `span_ps`: the makespan (> 0).
Utilisation ComputeUtilisation(const RunOptions& o, const std::vector<ChipRecord>& chips, uint64_t tokens,
                               double span_ps);

}  // namespace moefab
