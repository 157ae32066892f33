// Quantisers: from a float expert (weights, biases) to the hardwired ExpertWeights in INT4 /
// INT3 (symmetric, per output channel) or MXFP4 (OCP MX: E2M1 elements, E8M0 exponent per 32
// inputs), with activation scales from a small deterministic calibration pass, requant
// (mult, shift) pairs per channel, biases in accumulator units and the activation LUT.
// Also the seeded synthetic experts and hidden states used by tests, benchmarks and demos.
// Omits: GPTQ / AWQ style error-correcting quantisation, per-group INT scales, zero points.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chips/numerics/expert_weights.h"
#include "core/rng.h"

namespace moefab::chips {

inline constexpr double kResidualScale = 1.0 / 256;  // s_h: real = h * 2^-8
inline constexpr double kGptOssLimit = 7.0;          // swiglu_limit of gpt-oss
inline constexpr double kGptOssAlpha = 1.702;        // sigmoid slope of gpt-oss
inline constexpr double kGptOssActScale = 1.0 / 16;  // s_g = s_u for gpt-oss: 7.0 = 112 steps

/// Real value of one int8 step of each per-tensor activation of the datapath.
struct ActivationScales {
  double gate = 0;  // s_g: g (the act LUT's input)
  double up = 0;    // s_u: u
  double act = 0;   // s_a: a (the act LUT's output)
  double prod = 0;  // s_m: m = a * uc (the down projection's input)
};

/// The calibration pass: run the float expert on `samples` seeded tokens with real inputs
/// ~ N(0, 1) (the residual stream h ~ N(0, 256) at s_h = 2^-8), pool |value| over channels and
/// tokens and take the `percentile` (clipping the rare outliers buys resolution for the rest).
struct CalibrationOptions {
  std::uint32_t samples = 32;            // tokens
  double percentile = 0.9995;            // of |g|, |u| and |m|, in (0, 1]
  std::uint64_t seed = 0xCA11B7A7E5ULL;  // input stream
};

/// act(g) of the float model: silu(g), or gpt-oss min(g, 7) * sigmoid(1.702 * min(g, 7)).
[[nodiscard]] double ActivationFunction(Activation act, double g);
/// What multiplies act(g): u, or gpt-oss clamp(u, -7, 7) + 1.
[[nodiscard]] double UpTransform(Activation act, double u);

/// Throws ConfigError naming `what` when a vector's size does not match `shape` or a value is
/// not finite.
void ValidateFloatExpert(const FloatExpert& f, ExpertShape shape, const std::string& what = "float expert");

/// s_g, s_u, s_m from the calibration pass (gpt-oss: s_g = s_u = 1/16, fixed by the model);
/// s_a = max over the 256 LUT inputs of |act(g * s_g)| / 127, so the LUT never saturates.
[[nodiscard]] ActivationScales CalibrateActivationScales(const FloatExpert& f, ExpertShape shape, Activation act,
                                                         const CalibrationOptions& opt = {});

/// act_lut[uint8(g)] = SatInt8(round-half-even(act(g * s_g) / s_a)).
[[nodiscard]] std::array<std::int8_t, 256> MakeActivationLut(Activation act, double s_g, double s_a);

/// A fixed-point multiplier: real ~= mult * 2^-shift.
struct Requant {
  std::int32_t mult = 0;   // in [0, 2^24)
  std::uint8_t shift = 0;  // bits
};
/// mult in [2^23, 2^24) when the shift range allows (else the nearest in-range pair); 0 gives
/// (0, min_shift). A multiplier too large for min_shift is a ConfigError naming `what`.
[[nodiscard]] Requant DeriveRequant(double real_multiplier, std::uint8_t min_shift, std::uint8_t max_shift,
                                    const std::string& what = "requant");

/// The E2M1 code of v: round to nearest, ties to even, on {0, .5, 1, 1.5, 2, 3, 4, 6}, saturating
/// at +-6; +-0 gives code 0.
[[nodiscard]] std::uint8_t QuantizeE2M1(double v);
/// The real value of an E2M1 code (val2 / 2).
[[nodiscard]] inline double E2M1Value(std::uint8_t code) {
  return kMxfp4Val2[code & 15] * 0.5;
}

/// The weights of one matrix in a format (q, and block_exp for MXFP4; mult, shift, bias empty)
/// and the real value of one accumulator unit per unit input of each row (INT: s_w[r] with
/// s_w = max|row| / 7 (INT4) or / 3 (INT3); MXFP4: 2^(Emax_r - 127) / 2 / 2^G).
struct QuantizedWeights {
  QuantMatrix matrix;             // rows, cols, q, block_exp
  std::vector<double> row_scale;  // [R] real per accumulator unit
};
/// w is [rows][cols] row-major. MXFP4: exponent floor(log2(max|block|)) - 2, E8M0 clamped to
/// [0, 254]; an all-zero block gets E = 0 (an all-zero row E = 127).
[[nodiscard]] QuantizedWeights QuantizeWeights(std::span<const float> w, std::uint32_t rows, std::uint32_t cols,
                                               WeightFormat format);
/// Row scales of an MXFP4 matrix from its exponents (for natively loaded MXFP4 weights).
[[nodiscard]] std::vector<double> Mxfp4RowScales(const QuantMatrix& m);
/// The real weights [rows][cols] of an MXFP4 matrix (exact).
[[nodiscard]] std::vector<float> DequantizeMxfp4(const QuantMatrix& m);

/// Completes an expert whose weight matrices are already quantised: per-channel (mult, shift)
/// from the real multipliers (gate r: row_scale[r] * s_h / s_g; up: ... / s_u; down j:
/// row_scale[j] * s_m / s_h; product: s_a * s_u / s_m), biases from `reference` in accumulator
/// units, the act LUT and u_clamp / u_offset. `reference` (the float model, biases included)
/// is stored in the result.
[[nodiscard]] ExpertWeights AssembleExpert(ExpertShape shape, WeightFormat format, Activation act,
                                           QuantizedWeights gate, QuantizedWeights up, QuantizedWeights down,
                                           std::shared_ptr<const FloatExpert> reference, const ActivationScales& scales,
                                           const std::string& what = "expert");

/// Quantise a float expert with the given activation scales.
[[nodiscard]] ExpertWeights QuantizeExpert(const FloatExpert& f, ExpertShape shape, WeightFormat format, Activation act,
                                           const ActivationScales& scales, const std::string& what = "expert");
/// Quantise a float expert, calibrating the activation scales first.
[[nodiscard]] ExpertWeights QuantizeExpert(const FloatExpert& f, ExpertShape shape, WeightFormat format, Activation act,
                                           const CalibrationOptions& opt = {}, const std::string& what = "expert");

/// A seeded float expert: W ~ N(0, 1 / sqrt(fan_in)) (Box-Muller on SplitMix64), about 1 in 64
/// output channels of each matrix (at least one) scaled by 3 (outliers), biases ~ N(0, 0.2)
/// (down: N(0, 0.05)) only for kSwiGluClamped (gpt-oss has expert biases).
[[nodiscard]] FloatExpert MakeSyntheticFloatExpert(ExpertShape shape, Activation act, std::uint64_t seed);
/// QuantizeExpert(MakeSyntheticFloatExpert(shape, act, seed)) with `reference` set.
[[nodiscard]] ExpertWeights MakeSyntheticExpertWeights(ExpertShape shape, WeightFormat format, Activation act,
                                                       std::uint64_t seed);

/// A standard normal deviate (Box-Muller on two uniforms of rng).
[[nodiscard]] double NextGaussian(SplitMix64& rng);
/// Seeded residual-stream hidden state: h_j = SatInt16(round(256 * N(0, 1))), real ~ N(0, 1).
void MakeRandomHidden(std::uint64_t seed, std::span<std::int16_t> h);

}  // namespace moefab::chips
