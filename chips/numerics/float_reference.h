// The float64 reference of one expert (NUMERICS.md "Float reference"): the unquantised weights
// and biases applied to the dequantised dispatch input, with exact SiLU or the gpt-oss clamped
// activation; and the quantisation error of a format measured against it.
// Omits: the attention / residual path (only the expert itself is compared).
#pragma once

#include <cstdint>
#include <span>

#include "chips/numerics/expert_weights.h"

namespace moefab::chips {

/// y = W_down (act(W_gate x + b_gate) * up(W_up x + b_up)) + b_down in double; the shape is
/// x.size() (d_model) and f.w_gate.size() / d_model (width). y.size() must be d_model.
void FloatExpertForward(const FloatExpert& f, Activation act, std::span<const double> x, std::span<double> y);

/// Quantisation error of y * s_h against the float reference, pooled over all samples.
struct QuantError {
  double cosine = 0;          // sum(y r) / sqrt(sum y^2 sum r^2)
  double max_abs = 0;         // max |y * s_h - r| (real units of the residual stream)
  double rms = 0;             // sqrt(mean (y * s_h - r)^2)
  std::uint64_t samples = 0;  // tokens compared
};

/// Runs `samples` seeded tokens (h ~ N(0, 256), i.e. real N(0, 1)) through dispatch
/// quantisation and GoldenExpert, and the float reference on x * 2^e * s_h. ConfigError if
/// w.reference is null.
[[nodiscard]] QuantError MeasureQuantError(const ExpertWeights& w, std::uint32_t samples, std::uint64_t seed);

}  // namespace moefab::chips
