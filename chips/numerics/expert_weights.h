// The hardwired contents of one expert slot, in the formats real MoE checkpoints ship in
// (INT4 / INT3 with a per-output-channel scale, MXFP4 blocks as in gpt-oss), plus the
// requantisation constants, biases and activation LUT of the integer datapath. The exact
// arithmetic is specified in chips/numerics/NUMERICS.md; GoldenExpert implements it.
// Omits: FP8 weights, per-group INT4 scales, zero points (all formats are symmetric).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moefab::chips {

enum class WeightFormat : std::uint8_t { kInt4 = 0, kInt3 = 1, kMxfp4 = 2 };
enum class Activation : std::uint8_t {
  kSwiGlu = 0,         // silu(gate) * up
  kSwiGluClamped = 1,  // gpt-oss: clamp(gate, max 7) * sigmoid(1.702 * gate) * (clamp(up, +-7) + 1)
};

const char* WeightFormatName(WeightFormat f);  // "INT4", "INT3", "MXFP4"
/// Weight bits per element, including MXFP4's shared exponent (4.25), for capacity checks.
double WeightBitsPerElement(WeightFormat f);
inline constexpr std::uint32_t kMxBlock = 32;     // MXFP4 elements per shared exponent
inline constexpr std::uint32_t kMxGuardBits = 6;  // G of NUMERICS.md
/// Largest d_model and width: keeps every int32 accumulator of NUMERICS.md exact (an MXFP4
/// row of 16384 inputs sums 512 blocks of |p * 2^G| < 2^22, below 2^31).
inline constexpr std::uint32_t kMaxExpertDim = 16384;
/// val2(code) of NUMERICS.md: twice the E2M1 value of a 4-bit code (bit 3 sign).
inline constexpr std::array<std::int8_t, 16> kMxfp4Val2 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
/// Requant shift ranges of NUMERICS.md (gate / up: shift - e >= 1 for e <= 9).
inline constexpr std::uint8_t kMinGateUpShift = 10;
inline constexpr std::uint8_t kMinDownShift = 1;
inline constexpr std::uint8_t kMaxRequantShift = 62;
inline constexpr std::int32_t kRequantMultLimit = 1 << 24;  // multipliers are < this
inline constexpr std::uint8_t kMaxDispatchExponent = 9;     // e of NUMERICS.md is in [0, 9]

struct ExpertShape {
  std::uint32_t d_model = 0;  // length of x and y (elements)
  std::uint32_t width = 0;    // expert intermediate width I (elements)
  friend bool operator==(const ExpertShape&, const ExpertShape&) = default;
};

/// One weight matrix in its format, with its per-output-channel requantisation.
struct QuantMatrix {
  std::uint32_t rows = 0;               // output channels R
  std::uint32_t cols = 0;               // input elements C
  std::vector<std::int8_t> q;           // [R][C]: INT4 / INT3 values, or MXFP4 E2M1 codes 0..15
  std::vector<std::uint8_t> block_exp;  // MXFP4 only: [R][ceil(C/32)] E8M0 exponents; else empty
  std::vector<std::int32_t> mult;       // [R] requant multiplier, in [0, 2^24)
  std::vector<std::uint8_t> shift;      // [R] requant right shift (bits)
  std::vector<std::int32_t> bias;       // [R] in accumulator units at e = 0; empty = no bias
};

/// The float model of the same expert (before quantisation), for the quantisation error.
struct FloatExpert {
  std::vector<float> w_gate, w_up;  // [I][D]
  std::vector<float> w_down;        // [D][I]
  std::vector<float> b_gate, b_up;  // [I] (empty = none)
  std::vector<float> b_down;        // [D] (empty = none)
};

struct ExpertWeights {
  ExpertShape shape;
  WeightFormat format = WeightFormat::kInt4;
  Activation activation = Activation::kSwiGlu;
  QuantMatrix gate;                              // rows I, cols D
  QuantMatrix up;                                // rows I, cols D
  QuantMatrix down;                              // rows D, cols I
  std::array<std::int8_t, 256> act_lut{};        // a = act_lut[uint8(g)]
  std::int16_t u_clamp = 128;                    // |u| clamp before the offset, in [0, 128]
  std::int16_t u_offset = 0;                     // added to the clamped u, in [-128, 128]
  std::int32_t mult_prod = 1;                    // requant of a * uc, in [0, 2^24)
  std::uint8_t shift_prod = 1;                   // in [1, 62]
  std::shared_ptr<const FloatExpert> reference;  // may be null (no float model known)
};

/// Throws ConfigError naming `what` (e.g. "layer 3 expert 7") and the first bad field.
void ValidateExpertWeights(const ExpertWeights& w, const std::string& what = "expert");

}  // namespace moefab::chips
