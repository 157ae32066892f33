// Top-k: hand cases, tie-breaks, errors, and properties over random logits (TEST_P on seeds).
#include "router/topk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

namespace moefab::router {
namespace {

std::uint32_t SumQ15(const Selection& s) {
  return std::accumulate(s.weights_q15.begin(), s.weights_q15.end(), 0u);
}

TEST(TopKTest, HandCaseTieBetweenChosenSplitsEvenly) {
  const std::vector<std::int32_t> logits = {0, 10, 10, 5};
  const Selection s = SoftmaxTopKRenormalised(logits, 2, 1.0);
  EXPECT_EQ(s.experts, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(s.weights_q15, (std::vector<std::uint32_t>{16384, 16384}));
}

TEST(TopKTest, TopOneGetsAllTheWeight) {
  const Selection s = SoftmaxTopKRenormalised(std::vector<std::int32_t>{3, -7, 9, 9}, 1, 0.5);
  EXPECT_EQ(s.experts, (std::vector<std::uint32_t>{2}));  // tie 9 vs 9 -> lower id
  EXPECT_EQ(s.weights_q15, (std::vector<std::uint32_t>{32768}));
}

TEST(TopKTest, TiesAtTheCutGoToLowerId) {
  const std::vector<std::int32_t> logits = {4, 7, 4, 4, 1};
  const Selection s = SoftmaxTopKRenormalised(logits, 3, 1.0);
  EXPECT_EQ(s.experts, (std::vector<std::uint32_t>{0, 1, 2}));
}

TEST(TopKTest, HandCaseWeightsAndRemainderToTopExpert) {
  // Three equal logits: 32768/3 = 10922.67 -> 10923 each = 32769; the top (lowest id on a
  // tie) gives one back.
  const Selection s = SoftmaxTopKRenormalised(std::vector<std::int32_t>{5, 5, 5}, 3, 1.0);
  EXPECT_EQ(s.weights_q15, (std::vector<std::uint32_t>{10922, 10923, 10923}));
  // logits 0 and ln(3)/scale: weights 1/4 and 3/4 exactly.
  const double scale = std::log(3.0) / 1000.0;
  const Selection t = SoftmaxTopKRenormalised(std::vector<std::int32_t>{1000, 0}, 2, scale);
  EXPECT_EQ(t.experts, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(t.weights_q15, (std::vector<std::uint32_t>{24576, 8192}));
}

TEST(TopKTest, ZeroScaleGivesUniformWeights) {
  const Selection s = SoftmaxTopKRenormalised(std::vector<std::int32_t>{1, 100, -5, 7}, 4, 0.0);
  EXPECT_EQ(s.weights_q15, (std::vector<std::uint32_t>{8192, 8192, 8192, 8192}));
}

void ExpectTopKError(std::vector<std::int32_t> logits, std::uint32_t k, double scale,
                     const std::string& expected_substr) {
  try {
    (void)SoftmaxTopKRenormalised(logits, k, scale);
    FAIL() << "expected ConfigError containing '" << expected_substr << "'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(expected_substr), std::string::npos) << e.what();
  }
}

TEST(TopKTest, RejectsBadKAndScale) {
  ExpectTopKError({1, 2, 3}, 4, 1.0, "top-k: k=4 with 3 experts; expected 1 <= k <= num_experts");
  ExpectTopKError({1, 2, 3}, 0, 1.0, "top-k: k=0 with 3 experts");
  ExpectTopKError({}, 1, 1.0, "top-k: k=1 with 0 experts");
  ExpectTopKError({1, 2}, 1, -1.0, "logit_scale=-1");
  ExpectTopKError({1, 2}, 1, std::nan(""), "expected a finite value >= 0");
}

struct TopKCase {
  std::uint64_t seed;         // random stream
  std::uint32_t num_experts;  // E
  std::uint32_t k;            // chosen per token
  std::int32_t logit_range;   // logits uniform in [-range, range]
};

class TopKPropertyTest : public ::testing::TestWithParam<TopKCase> {};

TEST_P(TopKPropertyTest, SelectsKLargestDistinctAscendingWithWeightsSummingToOne) {
  const TopKCase c = GetParam();
  SCOPED_TRACE("seed " + std::to_string(c.seed));
  SplitMix64 rng(c.seed);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<std::int32_t> logits(c.num_experts);
    for (auto& l : logits) l = static_cast<std::int32_t>(rng.Uniform(-c.logit_range, c.logit_range));
    const double scale = rng.UniformDouble() * 0.05;
    const Selection s = SoftmaxTopKRenormalised(logits, c.k, scale);

    ASSERT_EQ(s.experts.size(), c.k);
    ASSERT_EQ(s.weights_q15.size(), c.k);
    EXPECT_TRUE(std::is_sorted(s.experts.begin(), s.experts.end()));
    EXPECT_EQ(std::set<std::uint32_t>(s.experts.begin(), s.experts.end()).size(), c.k);
    EXPECT_EQ(SumQ15(s), kQ15One) << "trial " << trial;

    // Exactly the k largest with the lower-id tie-break: every unchosen expert ranks below
    // every chosen one.
    std::set<std::uint32_t> chosen(s.experts.begin(), s.experts.end());
    for (std::uint32_t u = 0; u < c.num_experts; ++u) {
      if (chosen.count(u)) continue;
      for (std::uint32_t e : s.experts) {
        EXPECT_TRUE(logits[e] > logits[u] || (logits[e] == logits[u] && e < u))
            << "trial " << trial << ": unchosen " << u << " outranks chosen " << e;
      }
    }
    // Weights follow the logits and are within one LSB (plus the remainder) of the softmax.
    double denom = 0.0;
    for (std::uint32_t e : s.experts) denom += std::exp(logits[e] * scale);
    for (std::size_t i = 0; i < c.k; ++i) {
      const double ideal = std::exp(logits[s.experts[i]] * scale) / denom * kQ15One;
      EXPECT_NEAR(s.weights_q15[i], ideal, 0.5 + c.k / 2.0) << "trial " << trial;
      for (std::size_t j = 0; j < c.k; ++j) {
        if (logits[s.experts[i]] > logits[s.experts[j]]) {
          EXPECT_GE(s.weights_q15[i] + c.k, s.weights_q15[j]);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, TopKPropertyTest,
                         ::testing::Values(TopKCase{1, 8, 2, 1000}, TopKCase{2, 8, 2, 3}, TopKCase{3, 64, 8, 500},
                                           TopKCase{4, 128, 8, 20}, TopKCase{5, 16, 16, 100}, TopKCase{6, 32, 1, 2},
                                           TopKCase{7, 256, 4, 10000}, TopKCase{8, 5, 3, 0}),
                         [](const ::testing::TestParamInfo<TopKCase>& tc) {
                           return "seed" + std::to_string(tc.param.seed) + "_E" + std::to_string(tc.param.num_experts) +
                                  "_k" + std::to_string(tc.param.k);
                         });

}  // namespace
}  // namespace moefab::router
