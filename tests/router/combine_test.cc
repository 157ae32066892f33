// Combine: rounding half up (towards +inf), saturation at the int16 limits, the fixed order, and a
// property check against a plain reference over seeds.
#include "router/combine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/rng.h"

namespace moefab::router {
namespace {

// Runs CombineResidual with owned output vectors.
std::vector<std::int16_t> Combine(std::vector<std::int16_t> h, const Selection& s,
                                  const std::vector<std::vector<std::int16_t>>& ys) {
  std::vector<std::span<const std::int16_t>> spans(ys.begin(), ys.end());
  CombineResidual(h, s, spans);
  return h;
}

TEST(CombineTest, RoundsHalfUp) {
  const Selection half{{3, 9}, {16384, 16384}};  // 0.5 each
  // +0.5 -> +1, -0.5 -> 0 (half towards +inf), +1.5 -> 2, -1.5 -> -1.
  EXPECT_EQ(Combine({0, 0, 0, 0}, half, {{1, -1, 3, -3}, {0, 0, 0, 0}}), (std::vector<std::int16_t>{1, 0, 2, -1}));
  // Just below and just above one half: 16383/32768 rounds to 0, 16385/32768 to 1.
  const Selection below{{0}, {16383}};
  const Selection above{{0}, {16385}};
  EXPECT_EQ(Combine({0, 0}, below, {{1, -1}}), (std::vector<std::int16_t>{0, 0}));
  EXPECT_EQ(Combine({0, 0}, above, {{1, -1}}), (std::vector<std::int16_t>{1, -1}));
}

TEST(CombineTest, SumsInInt64BeforeRounding) {
  // 0.25*1 + 0.75*1 = exactly 1.
  const Selection s{{0, 1}, {8192, 24576}};
  EXPECT_EQ(Combine({10}, s, {{1}, {1}}), (std::vector<std::int16_t>{11}));
  // Two quarters of 1 make one half, which rounds up; per-term rounding would give 0.
  const Selection q{{0, 1, 2}, {8192, 8192, 16384}};
  EXPECT_EQ(Combine({0}, q, {{1}, {1}, {0}}), (std::vector<std::int16_t>{1}));
}

TEST(CombineTest, SaturatesAtInt16Limits) {
  const Selection one{{5}, {32768}};
  EXPECT_EQ(Combine({32000, -32000, 32767, -32768, 0}, one, {{768, -769, 1, -1, 32767}}),
            (std::vector<std::int16_t>{32767, -32768, 32767, -32768, 32767}));
  EXPECT_EQ(Combine({32000, -32000}, one, {{767, -768}}), (std::vector<std::int16_t>{32767, -32768}));
  EXPECT_EQ(Combine({-32768, 32767}, one, {{-32768, 32767}}), (std::vector<std::int16_t>{-32768, 32767}));
}

TEST(CombineTest, FullScaleWeightsOfExtremeOutputs) {
  const Selection two{{0, 1}, {16384, 16384}};
  EXPECT_EQ(Combine({0, 0}, two, {{-32768, 32767}, {-32768, 32767}}), (std::vector<std::int16_t>{-32768, 32767}));
  EXPECT_EQ(Combine({0}, two, {{-32768}, {32767}}), (std::vector<std::int16_t>{0}));  // -0.5 -> 0
}

class CombinePropertyTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(CombinePropertyTest, MatchesReferenceFormula) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  SplitMix64 rng(seed);
  const std::size_t d = 64;
  for (int trial = 0; trial < 100; ++trial) {
    const std::uint32_t k = static_cast<std::uint32_t>(rng.Uniform(1, 8));
    Selection s;
    std::uint32_t left = 32768;
    for (std::uint32_t i = 0; i < k; ++i) {
      s.experts.push_back(i * 3 + 1);
      const std::uint32_t w = i + 1 == k ? left : static_cast<std::uint32_t>(rng.Uniform(0, left));
      s.weights_q15.push_back(static_cast<std::uint32_t>(w));
      left -= w;
    }
    std::vector<std::vector<std::int16_t>> ys(k, std::vector<std::int16_t>(d));
    for (auto& y : ys) {
      for (auto& v : y) v = static_cast<std::int16_t>(rng.Uniform(-32768, 32767));
    }
    std::vector<std::int16_t> h(d);
    for (auto& v : h) v = static_cast<std::int16_t>(rng.Uniform(-32768, 32767));
    const auto out = Combine(h, s, ys);
    for (std::size_t j = 0; j < d; ++j) {
      long long acc = 0;
      for (std::uint32_t i = 0; i < k; ++i) acc += 1LL * s.weights_q15[i] * ys[i][j];
      long long r = (acc + 16384) >> 15;
      long long v = h[j] + r;
      v = v > 32767 ? 32767 : (v < -32768 ? -32768 : v);
      ASSERT_EQ(out[j], v) << "trial " << trial << " j " << j;
      // The weighted mean of int16 values stays in the int16 range: r alone never saturates.
      ASSERT_GE(r, -32768);
      ASSERT_LE(r, 32767);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CombinePropertyTest, ::testing::Values(1, 2, 3, 17, 123456));

}  // namespace
}  // namespace moefab::router
