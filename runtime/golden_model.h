// The single-process golden forward pass: what the model computes, with no fabric, no chips
// and no timing. The partitioned, multi-rank system must produce exactly these final hidden
// states. Uses the golden expert datapath (chips/golden_expert.h), never the RTL.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/model_data.h"

namespace moefab {

/// Final hidden state of `token` after all MoE layers.
std::vector<int8_t> GoldenForward(ModelData& data, uint32_t token);

}  // namespace moefab
