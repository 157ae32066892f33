// Golden datapath on hand-computed tiny cases: rounding (half up, negatives), saturation,
// LUT indexing, the SwiGLU product, and the closed-form job cycles.
#include "chips/golden_expert.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "chips/expert_weights.h"
#include "runtime/core/rng.h"

namespace moefab::chips {
namespace {

// D=2, I=1 with acc_g = x0, acc_u = x1, identity SiLU LUT, m = a*u exactly and
// y = [m, -m] exactly (before saturation), so y exposes g and u directly.
ExpertWeights Tiny() {
  ExpertWeights w;
  w.shape = {2, 1};
  w.w_gate = {1, 0};
  w.w_up = {0, 1};
  w.w_down = {1, -1};  // [D=2][I=1]
  w.mult_gate = {1};
  w.mult_up = {1};
  w.mult_down = {2, 2};
  w.shift_gate = 1;
  w.shift_up = 1;
  w.shift_down = 1;
  for (int b = 0; b < 256; ++b) w.silu_lut[b] = static_cast<std::int8_t>(b);  // a = g
  w.mult_prod = 2;
  w.shift_prod = 1;
  return w;
}

std::array<std::int8_t, 2> RunTiny(const ExpertWeights& w, std::int8_t x0, std::int8_t x1) {
  ValidateExpertWeights(w);
  std::array<std::int8_t, 2> x{x0, x1};
  std::array<std::int8_t, 2> y{};
  GoldenExpert(w, x, y);
  return y;
}

TEST(GoldenExpert, RoundsHalfUpIncludingNegatives) {
  const ExpertWeights w = Tiny();
  // g = RoundShift(x0, 1), u = RoundShift(2, 1) = 1, y = [g, -g].
  EXPECT_EQ(RunTiny(w, 3, 2), (std::array<std::int8_t, 2>{2, -2}));     // 1.5 -> 2
  EXPECT_EQ(RunTiny(w, 5, 2), (std::array<std::int8_t, 2>{3, -3}));     // 2.5 -> 3
  EXPECT_EQ(RunTiny(w, -3, 2), (std::array<std::int8_t, 2>{-1, 1}));    // -1.5 -> -1
  EXPECT_EQ(RunTiny(w, -5, 2), (std::array<std::int8_t, 2>{-2, 2}));    // -2.5 -> -2
  EXPECT_EQ(RunTiny(w, -4, 2), (std::array<std::int8_t, 2>{-2, 2}));    // exact
  EXPECT_EQ(RunTiny(w, -1, 2), (std::array<std::int8_t, 2>{0, 0}));     // -0.5 -> 0
  EXPECT_EQ(RunTiny(w, -128, 2), (std::array<std::int8_t, 2>{-64, 64}));
}

TEST(GoldenExpert, MultipliesGateByUp) {
  const ExpertWeights w = Tiny();
  // g = RoundShift(4, 1) = 2, u = RoundShift(6, 1) = 3, m = 6.
  EXPECT_EQ(RunTiny(w, 4, 6), (std::array<std::int8_t, 2>{6, -6}));
  // g = 2, u = RoundShift(-7, 1) = -3, m = -6.
  EXPECT_EQ(RunTiny(w, 4, -7), (std::array<std::int8_t, 2>{-6, 6}));
}

TEST(GoldenExpert, SaturatesBothEnds) {
  ExpertWeights w = Tiny();
  w.mult_gate = {1000};  // g = Sat(x0 * 500)
  EXPECT_EQ(RunTiny(w, 1, 2), (std::array<std::int8_t, 2>{127, -127}));
  // g = -128, so y1 = 128 saturates to 127.
  EXPECT_EQ(RunTiny(w, -1, 2), (std::array<std::int8_t, 2>{-128, 127}));
  // Product saturation: u = 50, a*u = 127 * 50 -> m = 127.
  EXPECT_EQ(RunTiny(w, 1, 100), (std::array<std::int8_t, 2>{127, -127}));
}

TEST(GoldenExpert, IndexesLutByTwosComplementByte) {
  ExpertWeights w = Tiny();
  w.silu_lut[0xFF] = 42;  // g = -1
  w.silu_lut[0x01] = -7;  // g = 1
  EXPECT_EQ(RunTiny(w, -2, 2), (std::array<std::int8_t, 2>{42, -42}));
  EXPECT_EQ(RunTiny(w, 2, 2), (std::array<std::int8_t, 2>{-7, 7}));
}

TEST(GoldenExpert, AccumulatesOverRowsAndColumns) {
  // D=2, I=2; acc_g = [x0 - 2 x1, 3 x0], acc_u = [x1, x0 + x1]; mult 1, shift 1.
  ExpertWeights w = Tiny();
  w.shape = {2, 2};
  w.w_gate = {1, -2, 3, 0};
  w.w_up = {0, 1, 1, 1};
  w.w_down = {1, 2, -1, 0};  // y0 = m0 + 2 m1, y1 = -m0
  w.mult_gate = {1, 1};
  w.mult_up = {1, 1};
  // x = (4, -1): acc_g = [6, 12] -> g = [3, 6]; acc_u = [-1, 3] -> u = [0, 2];
  // m = [0, 12]; y = Sat(RoundShift(2*[24, 0], 1)) = [24, 0].
  EXPECT_EQ(RunTiny(w, 4, -1), (std::array<std::int8_t, 2>{24, 0}));
}

TEST(SiluLut, MatchesHandValues) {
  const auto lut = MakeSiluLut();
  EXPECT_EQ(lut[0], 0);
  EXPECT_EQ(lut[32], 23);                          // silu(1) = 0.7311 -> 23.39
  EXPECT_EQ(lut[127], 125);                        // silu(3.97) = 3.899 -> 124.8
  EXPECT_EQ(lut[static_cast<std::uint8_t>(-32)], -9);   // silu(-1) = -0.2689 -> -8.6
  EXPECT_EQ(lut[static_cast<std::uint8_t>(-128)], -2);  // silu(-4) = -0.0719 -> -2.3
}

TEST(ExpertJobCycles, ClosedForm) {
  // DG*(I+2) + D*IG + 3.
  EXPECT_EQ(ExpertJobCycles({64, 128}, 8), Cycles(8 * 130 + 64 * 16 + 3));
  EXPECT_EQ(ExpertJobCycles({40, 72}, 8), Cycles(5 * 74 + 40 * 9 + 3));
  EXPECT_EQ(ExpertJobCycles({2, 1}, 4), Cycles(1 * 3 + 2 * 1 + 3));
  EXPECT_EQ(ExpertJobCycles({64, 128}, 32), Cycles(2 * 130 + 64 * 4 + 3));
}

// Synthetic multipliers keep g, u and y in a useful int8 range for inputs of std ~30.
TEST(SyntheticWeights, OutputsNeitherSaturatedNorZero) {
  const ExpertShape shape{64, 128};
  const ExpertWeights w = MakeSyntheticExpertWeights(shape, 7);
  ValidateExpertWeights(w);
  SplitMix64 rng(11);
  double sum_sq_g = 0, sum_sq_m = 0, sum_sq_y = 0;
  int n_g = 0, n_y = 0, sat_y = 0, zero_y = 0;
  std::vector<std::int8_t> x(64), y(64);
  for (int t = 0; t < 50; ++t) {
    for (auto& v : x) v = static_cast<std::int8_t>(rng.Uniform(-52, 52));  // std 30
    for (std::size_t i = 0; i < shape.width; ++i) {
      std::int32_t acc = 0, acc_u = 0;
      for (std::size_t j = 0; j < 64; ++j) {
        acc += w.w_gate[i * 64 + j] * x[j];
        acc_u += w.w_up[i * 64 + j] * x[j];
      }
      const int g = SatInt8(RoundShift(std::int64_t{acc} * w.mult_gate[i], w.shift_gate));
      const int u = SatInt8(RoundShift(std::int64_t{acc_u} * w.mult_up[i], w.shift_up));
      const int a = w.silu_lut[static_cast<std::uint8_t>(g)];
      const int m = SatInt8(RoundShift(std::int64_t{a * u} * w.mult_prod, w.shift_prod));
      sum_sq_g += g * g;
      sum_sq_m += m * m;
      ++n_g;
    }
    GoldenExpert(w, x, y);
    for (auto v : y) {
      sum_sq_y += v * v;
      ++n_y;
      sat_y += (v == 127 || v == -128);
      zero_y += (v == 0);
    }
  }
  const double std_g = std::sqrt(sum_sq_g / n_g);
  const double std_m = std::sqrt(sum_sq_m / n_g);
  const double std_y = std::sqrt(sum_sq_y / n_y);
  EXPECT_GT(std_g, 20);
  EXPECT_LT(std_g, 45);
  EXPECT_GT(std_m, 15);
  EXPECT_LT(std_m, 45);
  EXPECT_GT(std_y, 15);
  EXPECT_LT(std_y, 45);
  EXPECT_LT(sat_y, n_y / 20);
  EXPECT_LT(zero_y, n_y / 10);
  RecordProperty("std_g", std::to_string(std_g));
  RecordProperty("std_m", std::to_string(std_m));
  RecordProperty("std_y", std::to_string(std_y));
}

}  // namespace
}  // namespace moefab::chips
