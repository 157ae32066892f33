// Combine: the residual update of one MoE layer, h += sum_e g_e * y_e, in fixed point.
//
// Models: the attention chip's combine unit, bit for bit: Q1.15 gate weights times int16
// expert outputs (at the residual scale), summed in int64 in the selection's (ascending
// expert id) order, rounded half up by a 15-bit shift and added to the int16 residual with
// saturation (chips/numerics/NUMERICS.md). Omits: shared
// (always-on) experts, per-token activation rescaling between layers and the combine's
// timing. Pure.
#pragma once

#include <cstdint>
#include <span>

#include "router/topk.h"

namespace moefab::router {

/// h[j] = SatInt16(h[j] + RoundShift(sum_e weights_q15[e] * y_e[j], 15)), summed over the
/// selection in its (ascending id) order in int64. expert_outputs[i] is the output of
/// selection.experts[i] and has h.size() elements.
void CombineResidual(std::span<std::int16_t> h, const Selection& selection,
                     std::span<const std::span<const std::int16_t>> expert_outputs);

}  // namespace moefab::router
