// Gate: synthetic weights (range, determinism) and int32 logits on a hand-computed case.
#include "router/gate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace moefab::router {
namespace {

TEST(GateTest, LogitsHandCase) {
  GateWeights gate;
  gate.num_experts = 3;
  gate.d_model = 4;
  gate.w = {1,   2,    3,   4,  //
            -1,  0,    1,   0,  //
            127, -128, 127, -128};
  const std::vector<std::int8_t> h = {10, -20, 30, -128};
  // e0: 10 - 40 + 90 - 512 = -452; e1: -10 + 30 = 20; e2: 1270 + 2560 + 3810 + 16384.
  EXPECT_EQ(GateLogits(gate, h), (std::vector<std::int32_t>{-452, 20, 24024}));
}

TEST(GateTest, SyntheticWeightsAreSeededAndInRange) {
  const GateWeights a = MakeSyntheticGateWeights(8, 64, 7);
  const GateWeights b = MakeSyntheticGateWeights(8, 64, 7);
  const GateWeights c = MakeSyntheticGateWeights(8, 64, 8);
  EXPECT_EQ(a.num_experts, 8u);
  EXPECT_EQ(a.d_model, 64u);
  ASSERT_EQ(a.w.size(), 512u);
  EXPECT_EQ(a.w, b.w);
  EXPECT_NE(a.w, c.w);
  EXPECT_EQ(*std::min_element(a.w.begin(), a.w.end()), -64);
  EXPECT_EQ(*std::max_element(a.w.begin(), a.w.end()), 63);
}

TEST(GateTest, SyntheticWeightsRejectEmptyShape) {
  EXPECT_THROW((void)MakeSyntheticGateWeights(0, 16, 1), ConfigError);
  EXPECT_THROW((void)MakeSyntheticGateWeights(4, 0, 1), ConfigError);
}

TEST(GateTest, LogitsMatchNaiveDotProduct) {
  const GateWeights gate = MakeSyntheticGateWeights(16, 128, 3);
  std::vector<std::int8_t> h(128);
  for (std::size_t j = 0; j < h.size(); ++j) h[j] = static_cast<std::int8_t>(j * 37 % 256 - 128);
  const auto logits = GateLogits(gate, h);
  ASSERT_EQ(logits.size(), 16u);
  for (std::uint32_t e = 0; e < 16; ++e) {
    int expect = 0;
    for (std::uint32_t j = 0; j < 128; ++j) expect += gate.w[e * 128 + j] * h[j];
    EXPECT_EQ(logits[e], expect) << "expert " << e;
  }
}

}  // namespace
}  // namespace moefab::router

namespace moefab::router {
namespace {

TEST(GateRealLogitsTest, ScaleExponentAndBias) {
  GateWeights g;
  g.num_experts = 2;
  g.d_model = 2;
  g.w = {1, 2, -3, 4};
  g.scale = 0.5;
  g.bias = {0.25, -1.0};
  const std::vector<std::int8_t> x = {10, -1};
  // Dots: 8 and -34; times 0.5 * 2^2 = 2, plus bias.
  EXPECT_EQ(RealLogits(g, x, 2), (std::vector<double>{16.25, -69.0}));
}

TEST(GateRealLogitsTest, QuantizeGateKeepsLogitsClose) {
  const std::vector<float> w = {0.5f, -0.25f, 0.125f, 1.0f};
  const auto g = QuantizeGate(w, 2, 2, 1.0 / 256);
  EXPECT_EQ(g.w, (std::vector<std::int8_t>{64, -32, 16, 127}));
  const std::vector<std::int8_t> x = {100, 50};  // real 100/256, 50/256 at e = 0
  const auto l = RealLogits(g, x, 0);
  // Error bound: half a weight step (1/127 / 2) times sum |x| = 150/256.
  const double bound = 0.5 / 127 * 150.0 / 256;
  EXPECT_NEAR(l[0], (0.5 * 100 - 0.25 * 50) / 256, bound);
  EXPECT_NEAR(l[1], (0.125 * 100 + 1.0 * 50) / 256, bound);
  EXPECT_THROW(QuantizeGate(w, 3, 2, 1.0), ConfigError);
}

// Issue 12: one +Inf or NaN router weight made every routing weight NaN (UB in Quantise).
TEST(GateTest, QuantizeRejectsNonFiniteWeightsAndBias) {
  std::vector<float> w(2 * 4, 0.5f);
  EXPECT_NO_THROW((void)QuantizeGate(w, 2, 4, 1.0 / 256, {}));
  for (float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    w[5] = bad;
    try {
      (void)QuantizeGate(w, 2, 4, 1.0 / 256, {});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("gate weights: element 5="), std::string::npos) << e.what();
    }
    w[5] = 0.5f;
    EXPECT_THROW((void)QuantizeGate(w, 2, 4, 1.0 / 256, {0.0, static_cast<double>(bad)}), ConfigError);
  }
}

}  // namespace
}  // namespace moefab::router
