// The Verilated expert_engine against the golden datapath: bit for bit over many seeds and
// extreme inputs, and measured job cycles equal to ExpertJobCycles, for every linked build.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chips/expert_engine.h"
#include "chips/golden_expert.h"
#include "runtime/core/error.h"
#include "runtime/core/rng.h"

namespace moefab::chips {
namespace {

struct BuildShape {
  ExpertShape shape;
  std::uint32_t lanes;
};

BuildShape Parse(const std::string& name) {
  BuildShape b{};
  unsigned d = 0, i = 0, l = 0;
  EXPECT_EQ(std::sscanf(name.c_str(), "%ux%ux%u", &d, &i, &l), 3) << name;
  b.shape = {d, i};
  b.lanes = l;
  return b;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) { return "b" + info.param; }

// Random weights over the whole legal range (not only the synthetic distribution), so that
// every requant path, rounding and saturation is exercised.
ExpertWeights WildWeights(ExpertShape shape, std::uint64_t seed) {
  ExpertWeights w = MakeSyntheticExpertWeights(shape, seed);
  SplitMix64 rng(MixSeed(seed, 99));
  for (auto& m : w.mult_gate) m = static_cast<std::int32_t>(rng.Uniform(1, (1 << 24) - 1));
  for (auto& m : w.mult_up) m = static_cast<std::int32_t>(rng.Uniform(1, (1 << 24) - 1));
  for (auto& m : w.mult_down) m = static_cast<std::int32_t>(rng.Uniform(1, (1 << 24) - 1));
  w.mult_prod = static_cast<std::int32_t>(rng.Uniform(1, 1 << 12));
  w.shift_gate = static_cast<std::uint8_t>(rng.Uniform(20, 30));
  w.shift_up = static_cast<std::uint8_t>(rng.Uniform(20, 30));
  w.shift_down = static_cast<std::uint8_t>(rng.Uniform(20, 30));
  w.shift_prod = static_cast<std::uint8_t>(rng.Uniform(8, 16));
  for (auto& e : w.silu_lut) e = static_cast<std::int8_t>(rng.Uniform(-128, 127));
  return w;
}

std::vector<std::vector<std::int8_t>> Inputs(std::uint32_t d, std::uint64_t seed, int n_random) {
  std::vector<std::vector<std::int8_t>> xs;
  xs.emplace_back(d, std::int8_t{-128});
  xs.emplace_back(d, std::int8_t{127});
  xs.emplace_back(d, std::int8_t{0});
  std::vector<std::int8_t> alt(d);
  for (std::uint32_t j = 0; j < d; ++j) alt[j] = (j % 2) ? std::int8_t{127} : std::int8_t{-128};
  xs.push_back(alt);
  SplitMix64 rng(seed);
  for (int t = 0; t < n_random; ++t) {
    std::vector<std::int8_t> x(d);
    const std::int64_t span = (t % 3 == 0) ? 128 : 52;  // full range, or std ~30
    for (auto& v : x) v = static_cast<std::int8_t>(std::clamp<std::int64_t>(
                          rng.Uniform(-span, span), -128, 127));
    xs.push_back(std::move(x));
  }
  return xs;
}

class RtlBuildTest : public testing::TestWithParam<std::string> {};

// Bits and cycles of the RTL equal the golden engine's over many weight and input seeds.
TEST_P(RtlBuildTest, MatchesGoldenBitForBitAndCycles) {
  const BuildShape b = Parse(GetParam());
  const Cycles expected = ExpertJobCycles(b.shape, b.lanes);
  int saturated = 0;  // outputs at -128 or 127, over all seeds
  int interior = 0;   // outputs strictly inside (-128, 127) and non-zero
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    auto w = std::make_shared<const ExpertWeights>(
        seed % 2 ? MakeSyntheticExpertWeights(b.shape, seed) : WildWeights(b.shape, seed));
    auto rtl = MakeRtlExpertEngine(w, b.lanes);
    auto golden = MakeGoldenExpertEngine(w, b.lanes);
    ASSERT_EQ(rtl->shape(), b.shape);
    const std::uint64_t cycles_before = rtl->rtl_cycles_simulated();
    for (const auto& x : Inputs(b.shape.d_model, MixSeed(seed, 1), 12)) {
      std::vector<std::int8_t> y_rtl(b.shape.d_model, 0x55), y_gold(b.shape.d_model);
      const Cycles c_rtl = rtl->Run(x, y_rtl);
      const Cycles c_gold = golden->Run(x, y_gold);
      ASSERT_EQ(y_rtl, y_gold) << "build " << GetParam() << " seed " << seed;
      ASSERT_EQ(c_rtl, expected) << "build " << GetParam() << " seed " << seed;
      ASSERT_EQ(c_gold, expected);
      for (const std::int8_t v : y_rtl) {
        saturated += (v == 127 || v == -128);
        interior += (v != 127 && v != -128 && v != 0);
      }
    }
    EXPECT_GE(rtl->rtl_cycles_simulated() - cycles_before, 16 * expected.value);
    EXPECT_EQ(golden->rtl_cycles_simulated(), 0u);
  }
  EXPECT_GT(saturated, 0) << "the cases should exercise saturation";
  EXPECT_GT(interior, saturated) << "most outputs should be in range";
}

// Weights at the int4 extremes with maximal multipliers: everything saturates.
TEST_P(RtlBuildTest, MatchesGoldenWhenEverythingSaturates) {
  const BuildShape b = Parse(GetParam());
  ExpertWeights w = MakeSyntheticExpertWeights(b.shape, 42);
  for (std::size_t k = 0; k < w.w_gate.size(); ++k) {
    w.w_gate[k] = (k % 3) ? std::int8_t{-8} : std::int8_t{7};
    w.w_up[k] = std::int8_t{-8};
    w.w_down[k] = (k % 2) ? std::int8_t{7} : std::int8_t{-8};
  }
  std::fill(w.mult_gate.begin(), w.mult_gate.end(), (1 << 24) - 1);
  std::fill(w.mult_up.begin(), w.mult_up.end(), (1 << 24) - 1);
  std::fill(w.mult_down.begin(), w.mult_down.end(), (1 << 24) - 1);
  w.mult_prod = (1 << 24) - 1;
  w.shift_gate = w.shift_up = w.shift_down = w.shift_prod = 1;
  auto shared = std::make_shared<const ExpertWeights>(std::move(w));
  auto rtl = MakeRtlExpertEngine(shared, b.lanes);
  for (const auto& x : Inputs(b.shape.d_model, 5, 4)) {
    std::vector<std::int8_t> y_rtl(b.shape.d_model), y_gold(b.shape.d_model);
    EXPECT_EQ(rtl->Run(x, y_rtl), ExpertJobCycles(b.shape, b.lanes));
    GoldenExpert(*shared, x, y_gold);
    ASSERT_EQ(y_rtl, y_gold);
  }
}

// Two engines of one build keep separate state (own VerilatedContext and model each).
TEST_P(RtlBuildTest, EnginesAreIndependent) {
  const BuildShape b = Parse(GetParam());
  auto w1 = std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights(b.shape, 1));
  auto w2 = std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights(b.shape, 2));
  auto e1 = MakeRtlExpertEngine(w1, b.lanes);
  auto e2 = MakeRtlExpertEngine(w2, b.lanes);
  const auto xs = Inputs(b.shape.d_model, 3, 3);
  for (const auto& x : xs) {
    std::vector<std::int8_t> y1(b.shape.d_model), y2(b.shape.d_model), g(b.shape.d_model);
    e1->Run(x, y1);
    e2->Run(x, y2);
    GoldenExpert(*w1, x, g);
    EXPECT_EQ(y1, g);
    GoldenExpert(*w2, x, g);
    EXPECT_EQ(y2, g);
  }
}

INSTANTIATE_TEST_SUITE_P(LinkedBuilds, RtlBuildTest, testing::ValuesIn(AvailableRtlBuilds()),
                         TestName);

TEST(RtlExpertEngine, DefaultBuildsAreLinked) {
  const auto names = AvailableRtlBuilds();
  EXPECT_NE(std::find(names.begin(), names.end(), "64x128x8"), names.end());
}

TEST(RtlExpertEngine, UnknownShapeNamesAvailableBuilds) {
  auto w = std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights({24, 24}, 1));
  try {
    MakeRtlExpertEngine(w, 8);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("d_model=24 width=24 lanes=8"), std::string::npos) << msg;
    for (const auto& name : AvailableRtlBuilds()) {
      EXPECT_NE(msg.find(name), std::string::npos) << msg;
    }
  }
}

TEST(RtlExpertEngine, RejectsNullAndInvalidWeights) {
  EXPECT_THROW(MakeRtlExpertEngine(nullptr, 8), ConfigError);
  ExpertWeights bad = MakeSyntheticExpertWeights({64, 128}, 1);
  bad.w_gate[0] = 9;
  EXPECT_THROW(MakeRtlExpertEngine(std::make_shared<const ExpertWeights>(bad), 8), ConfigError);
  EXPECT_THROW(MakeGoldenExpertEngine(std::make_shared<const ExpertWeights>(bad), 8),
               ConfigError);
  EXPECT_THROW(
      MakeGoldenExpertEngine(
          std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights({4, 4}, 1)), 0),
      ConfigError);
}

// Throughput of the RTL engine (not a correctness test; run with
// --gtest_also_run_disabled_tests --gtest_filter='*Throughput*').
TEST(RtlExpertEngine, DISABLED_Throughput) {
  for (const auto& name : AvailableRtlBuilds()) {
    const BuildShape b = Parse(name);
    auto w = std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights(b.shape, 1));
    auto rtl = MakeRtlExpertEngine(w, b.lanes);
    const auto xs = Inputs(b.shape.d_model, 1, 60);
    std::vector<std::int8_t> y(b.shape.d_model);
    const int jobs = 2000;
    const std::uint64_t c0 = rtl->rtl_cycles_simulated();
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < jobs; ++k) rtl->Run(xs[static_cast<std::size_t>(k) % xs.size()], y);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double macs = 3.0 * b.shape.d_model * b.shape.width * jobs;
    std::printf("%s: %.0f jobs/s, %.3g MAC/s, %.3g RTL cycles/s\n", name.c_str(), jobs / s,
                macs / s, static_cast<double>(rtl->rtl_cycles_simulated() - c0) / s);
  }
}

}  // namespace
}  // namespace moefab::chips
