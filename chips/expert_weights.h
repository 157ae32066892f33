// The contents of one hardwired expert: int4 SwiGLU FFN weights, per-channel requantisation
// multipliers, one shift per matrix, the chip's SiLU lookup table and the product requant.
// Models the numbers that are etched into an expert slot's mask ROM, bit for bit.
// Omits: int3 / MXFP4 formats, per-token activation scales (the chip sees int8 only), and
// loading real checkpoints (weights here are synthetic and seeded).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace moefab::chips {

/// The shape of one expert's FFN.
struct ExpertShape {
  std::uint32_t d_model = 0;  // length of the input x and the output y (elements)
  std::uint32_t width = 0;    // expert intermediate width I (elements)
  friend bool operator==(const ExpertShape&, const ExpertShape&) = default;
};

/// Limits that ValidateExpertWeights enforces (they keep every int32 / int64 intermediate of
/// the datapath exact).
inline constexpr std::uint32_t kMaxExpertDim = 1u << 16;     // max d_model and width
inline constexpr std::int32_t kMaxRequantMult = 1 << 24;     // multipliers are < this
inline constexpr std::uint8_t kMinRequantShift = 1;          // shifts are >= this
inline constexpr std::uint8_t kMaxRequantShift = 40;         // shifts are <= this

/// One expert's hardwired contents. Weights are int4 values stored one per int8_t.
struct ExpertWeights {
  ExpertShape shape;                     // D = shape.d_model, I = shape.width
  std::vector<std::int8_t> w_gate;       // [I][D] row-major, int4 in [-8, 7]
  std::vector<std::int8_t> w_up;         // [I][D] row-major, int4 in [-8, 7]
  std::vector<std::int8_t> w_down;       // [D][I] row-major, int4 in [-8, 7]
  std::vector<std::int32_t> mult_gate;   // [I] requant multiplier of g, in [1, 2^24)
  std::vector<std::int32_t> mult_up;     // [I] requant multiplier of u, in [1, 2^24)
  std::vector<std::int32_t> mult_down;   // [D] requant multiplier of y, in [1, 2^24)
  std::uint8_t shift_gate = 24;          // right shift (bits) after mult_gate, in [1, 40]
  std::uint8_t shift_up = 24;            // right shift (bits) after mult_up, in [1, 40]
  std::uint8_t shift_down = 24;          // right shift (bits) after mult_down, in [1, 40]
  std::array<std::int8_t, 256> silu_lut{};  // a = silu_lut[uint8_t(g)], int8 at scale 1/32
  std::int32_t mult_prod = 1;            // requant multiplier of a*u, in [1, 2^24)
  std::uint8_t shift_prod = 24;          // right shift (bits) after mult_prod, in [1, 40]
};

/// The chip's SiLU table: input g is int8 at scale 1/32 (real = g/32); the entry is
/// silu(real) at output scale 1/32, rounded to nearest (ties away from zero), saturated.
std::array<std::int8_t, 256> MakeSiluLut();

/// Seeded synthetic weights (SplitMix64). int4 weights uniform in [-8, 7]; SiLU LUT from
/// MakeSiluLut(); all shifts 24. Multipliers are chosen so that for int8 inputs with std ~30,
/// g, u, m and y have a std of roughly 20-40 (neither mostly saturated nor mostly zero):
///   mult = round(2^24 * s * (0.75 + 0.5 * uniform)),  s = 32 / (sqrt(K) * 4.61 * 30),
/// where K is the reduction length (D for gate/up, I for down) and 4.61 is the std of a
/// uniform int4. g and u then sit at scale ~1/32 of a unit normal; mult_prod = 2^24 / 16
/// maps a*u (scale 1/1024) to m at scale 1/64, which keeps m's std near 30 since
/// E[silu(z)^2] ~ 0.36 for z ~ N(0,1).
ExpertWeights MakeSyntheticExpertWeights(ExpertShape shape, std::uint64_t seed);

/// Throws moefab::ConfigError naming the field, the value found and what was expected when
/// a size is wrong or a value is out of range.
void ValidateExpertWeights(const ExpertWeights& w);

}  // namespace moefab::chips
