// The bit-exact golden datapath of one expert engine, and the engine's closed-form job time.
// Models: the integer SwiGLU FFN that chips/rtl/expert_engine.sv computes (this file defines
// the bits; the RTL must match them) and the cycle count of one job on that RTL.
// Omits: anything float (quantisation error is measured elsewhere), pipelining across jobs.
#pragma once

#include <cstdint>
#include <span>

#include "chips/expert_weights.h"
#include "runtime/core/types.h"

namespace moefab::chips {

/// y = expert(x), with x and y int8 vectors of length d_model:
///   acc_g[i] = sum_j w_gate[i][j] * x[j]                                   (int32)
///   g[i] = SatInt8(RoundShift(int64(acc_g[i]) * mult_gate[i], shift_gate))
///   u[i] = the same with w_up, mult_up, shift_up
///   a[i] = silu_lut[uint8_t(g[i])]
///   m[i] = SatInt8(RoundShift(int64(a[i] * u[i]) * mult_prod, shift_prod))
///   acc_y[j] = sum_i w_down[j][i] * m[i]                                   (int32)
///   y[j] = SatInt8(RoundShift(int64(acc_y[j]) * mult_down[j], shift_down))
/// The weights must be valid (ValidateExpertWeights); x.size() and y.size() must be d_model.
void GoldenExpert(const ExpertWeights& w, std::span<const std::int8_t> x,
                  std::span<std::int8_t> y);

/// Cycles of one job on expert_engine with `lanes` MAC lanes per matrix, from the first input
/// beat to the last output beat inclusive (input and output never stalled):
///   DG*(I + 2) + D*IG + 3,  DG = ceil(D / lanes), IG = ceil(I / lanes)
/// = DG input beats + I*DG gate/up MAC cycles + 2 drain + D*IG down MAC cycles + 1 drain
///   + DG output beats.
Cycles ExpertJobCycles(ExpertShape shape, std::uint32_t lanes);

}  // namespace moefab::chips
