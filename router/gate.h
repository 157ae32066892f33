// MoE gate (router) linear layer: logits = W_g h, integer-only.
//
// Models: an int8 gate weight matrix [num_experts][d_model] and int8 hidden state, with exact
// int32 dot products, as the attention chip's gate unit computes them, then real logits
// (dot product x per-tensor scale x the activations' per-token power of two, plus an optional
// per-expert router bias, as gpt-oss has). Omits: per-channel gate weight scales, noisy
// gating used only in training, and the gate's timing (the runtime's attention timing model
// covers it). Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace moefab::router {

/// Gate weights of one layer.
struct GateWeights {
  std::uint32_t num_experts = 0;  // rows (E)
  std::uint32_t d_model = 0;      // columns (D), the hidden size
  std::vector<std::int8_t> w;     // [E][D] row-major, int8; size E * D
  double scale = 1.0 / 256;       // real logit per unit of w . x at dispatch exponent 0
  std::vector<double> bias;       // [E] real router bias; empty = none
};

/// Real logits for activations x = int8 with per-token exponent e:
/// logit[i] = (w[i] . x) * scale * 2^e + bias[i].
std::vector<double> RealLogits(const GateWeights& gate, std::span<const std::int8_t> x, std::uint8_t exponent);

/// Quantises a float gate matrix [E][D] (real weights, for activations at the residual scale
/// `activation_scale`) to int8 with one per-tensor scale. Throws ConfigError on a size mismatch.
GateWeights QuantizeGate(std::span<const float> w, std::uint32_t num_experts, std::uint32_t d_model,
                         double activation_scale, std::vector<double> bias = {});

/// Seeded synthetic weights: uniform int8 in [-64, 63] drawn from SplitMix64(seed) in
/// row-major order. Throws ConfigError if num_experts or d_model is 0.
GateWeights MakeSyntheticGateWeights(std::uint32_t num_experts, std::uint32_t d_model, std::uint64_t seed);

/// One int32 logit per expert: sum_j w[e][j] * h[j]. h.size() must equal d_model, and the
/// sum must fit in int32 (always true for d_model <= 131072).
std::vector<std::int32_t> GateLogits(const GateWeights& gate, std::span<const std::int8_t> h);

}  // namespace moefab::router
