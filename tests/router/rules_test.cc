// Router rules on hand-made logits: each model's rule, its ties and its weights.
#include "router/rules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace moefab::router {
namespace {

RouterParams Params(Rule rule, uint32_t k) {
  RouterParams p;
  p.rule = rule;
  p.top_k = k;
  return p;
}

uint32_t Q(double w) {
  return static_cast<uint32_t>(std::llround(w * 32768));
}

TEST(RulesTest, SoftmaxTopKRenormalisedMixtral) {
  const std::vector<double> logits = {0.0, std::log(3.0), 1e-9, -5.0};  // p1 = 3 p0
  const auto r = Route(logits, Params(Rule::kSoftmaxTopKRenorm, 2));
  EXPECT_EQ(r.selection.experts, (std::vector<uint32_t>{1, 2}));
  // Chosen 1 and 2 (2 beats 0 by 1e-9): weights 3/(3+1) and 1/(3+1).
  EXPECT_EQ(r.selection.weights_q15, (std::vector<uint32_t>{24576, 8192}));
  EXPECT_FALSE(r.weight_on_input);
}

TEST(RulesTest, SoftmaxTopKNotRenormalisedOlmoe) {
  const std::vector<double> logits = {std::log(1.0), std::log(2.0), std::log(3.0), std::log(2.0)};
  const auto r = Route(logits, Params(Rule::kSoftmaxTopK, 2));
  // Softmax over all four: 1/8, 2/8, 3/8, 2/8; top-2 are 2 and (1 vs 3 tie -> 1).
  EXPECT_EQ(r.selection.experts, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(r.selection.weights_q15, (std::vector<uint32_t>{Q(2.0 / 8), Q(3.0 / 8)}));
  EXPECT_LT(r.selection.weights_q15[0] + r.selection.weights_q15[1], 32768u);
}

TEST(RulesTest, TopKThenSoftmaxGptOss) {
  const std::vector<double> logits = {5.0, 1.0, 5.0 + std::log(3.0), -2.0, 0.5};
  const auto r = Route(logits, Params(Rule::kTopKSoftmax, 2));
  EXPECT_EQ(r.selection.experts, (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(r.selection.weights_q15, (std::vector<uint32_t>{8192, 24576}));
}

TEST(RulesTest, Top1SigmoidOnTheInputLlama4) {
  const std::vector<double> logits = {0.3, 2.0, -1.0};
  const auto r = Route(logits, Params(Rule::kTop1SigmoidInput, 1));
  EXPECT_EQ(r.selection.experts, (std::vector<uint32_t>{1}));
  EXPECT_EQ(r.selection.weights_q15, (std::vector<uint32_t>{Q(1.0 / (1.0 + std::exp(-2.0)))}));
  EXPECT_TRUE(r.weight_on_input);
}

TEST(RulesTest, SigmoidGroupLimitedDeepSeekV3) {
  // 8 experts in 4 groups of 2, keep 2 groups, top-2, scaling 2.5. The bias moves selection
  // but not the weights.
  RouterParams p = Params(Rule::kSigmoidGroupTopK, 2);
  p.num_groups = 4;
  p.topk_groups = 2;
  p.routed_scaling = 2.5;
  p.selection_bias = {0, 0, 0, 0, 0, 0, 0.9, 0};
  //                  g0        g1        g2        g3
  const std::vector<double> logits = {3.0, -3.0, 1.0, 1.0, 2.5, -4.0, -1.0, -1.0};
  // sigmoid: 0.953 0.047 | 0.731 0.731 | 0.924 0.018 | 0.269(+0.9) 0.269
  // group scores (sum of both): g0 1.000, g1 1.462, g2 0.942, g3 1.438 -> keep g1 and g3.
  // Candidates 2,3,6,7 by biased score: 6 (1.169), then 2 and 3 tie (0.731) -> 2.
  const auto r = Route(logits, p);
  EXPECT_EQ(r.selection.experts, (std::vector<uint32_t>{2, 6}));
  const double s2 = 1 / (1 + std::exp(-1.0)), s6 = 1 / (1 + std::exp(1.0));
  const uint32_t total = Q(2.5);
  EXPECT_EQ(r.selection.weights_q15[0] + r.selection.weights_q15[1], total);
  EXPECT_NEAR(r.selection.weights_q15[0], s2 / (s2 + s6) * 2.5 * 32768, 1.0);
  // Expert 0 has the best raw score but its group lost: group limiting is applied.
}

TEST(RulesTest, ValidationNamesTheField) {
  RouterParams p = Params(Rule::kSigmoidGroupTopK, 8);
  p.num_groups = 3;
  try {
    ValidateRouterParams(p, 16);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("num_groups=3: expected a divisor of num_experts (16)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ValidateRouterParams(Params(Rule::kTop1SigmoidInput, 2), 16), ConfigError);
  EXPECT_THROW(ValidateRouterParams(Params(Rule::kSoftmaxTopK, 17), 16), ConfigError);
  EXPECT_NO_THROW(ValidateRouterParams(Params(Rule::kSoftmaxTopK, 16), 16));
}

// Every rule: k distinct ascending experts, the renormalised ones summing to the scaling.
class RulesPropertyTest : public ::testing::TestWithParam<int> {};

TEST_P(RulesPropertyTest, SelectionsAreWellFormed) {
  SplitMix64 rng(static_cast<uint64_t>(GetParam()));
  for (Rule rule : {Rule::kSoftmaxTopKRenorm, Rule::kSoftmaxTopK, Rule::kSigmoidGroupTopK, Rule::kTopKSoftmax}) {
    for (int trial = 0; trial < 200; ++trial) {
      RouterParams p = Params(rule, static_cast<uint32_t>(rng.Uniform(1, 8)));
      p.num_groups = 8;
      p.topk_groups = 4;
      std::vector<double> logits(64);
      for (auto& l : logits) l = static_cast<double>(rng.Uniform(-400, 400)) / 100.0;
      const auto r = Route(logits, p);
      ASSERT_EQ(r.selection.experts.size(), p.top_k);
      for (size_t i = 1; i < p.top_k; ++i) ASSERT_LT(r.selection.experts[i - 1], r.selection.experts[i]);
      const uint64_t sum = std::accumulate(r.selection.weights_q15.begin(), r.selection.weights_q15.end(), uint64_t{0});
      if (rule == Rule::kSoftmaxTopK)
        ASSERT_LE(sum, 32768u + p.top_k);
      else
        ASSERT_EQ(sum, 32768u) << RuleName(rule);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RulesPropertyTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace moefab::router
