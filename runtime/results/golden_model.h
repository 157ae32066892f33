// The single-process golden forward pass: what the model computes, with no fabric, no chips
// and no timing. The partitioned, multi-rank system must produce exactly these final hidden
// states. Uses the golden expert datapath (chips/golden_expert.h), never the RTL.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/plan/cluster_plan.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/rank_report.h"

namespace moefab {

/// Final hidden state of `token` after all MoE layers; `dropped` = the run's capacity
/// overflow decisions for this token (layer * num_experts + expert).
std::vector<int16_t> GoldenForward(ModelData& data, uint32_t token, std::span<const uint32_t> dropped = {});

/// This rank's part of the golden check: how many of `tokens` were checked and differ.
struct GoldenTally {
  uint64_t checked = 0;             // tokens compared
  uint64_t mismatched = 0;          // tokens whose final hidden state differs
  uint64_t first_mismatch = ~0ULL;  // smallest differing token id, ~0 if none
};
GoldenTally CheckAgainstGolden(const RunOptions& options, const ClusterPlan& plan, std::span<const TokenRecord> tokens);

}  // namespace moefab
