// Routing traces: the synthetic generator meets its calibration, files round-trip, and bad
// files name their line.
#include "router/routing_trace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace moefab::router {
namespace {

SyntheticRoutingParams Base(uint32_t tokens, uint32_t layers, uint32_t experts, uint32_t k) {
  SyntheticRoutingParams p;
  p.num_tokens = tokens;
  p.num_layers = layers;
  p.num_experts = experts;
  p.top_k = k;
  p.repeat_prob = p.affinity_prob = p.preference_prob = 0;
  p.seed = 5;
  return p;
}

TEST(SyntheticRoutingTest, ZipfImbalanceMatchesTheCalibrationTable) {
  // E = 256, s = 0.6: max/mean 12.2 (docs/REFERENCES.md R-ZIPF-TABLE), with sampling noise.
  auto p = Base(4000, 1, 256, 8);
  p.zipf_s = {0.6};
  const auto t = GenerateSyntheticRouting(p);
  const auto load = ExpertLoadOf(t);
  const double max = *std::max_element(load.begin(), load.end());
  const double mean = 1.0 / 256;
  EXPECT_GT(max / mean, 10.5);
  EXPECT_LT(max / mean, 13.5);
}

TEST(SyntheticRoutingTest, RepeatAffinityAndPreferenceKeepTheSkew) {
  // The schema's mixture (repeat 0.25, affinity 0.3, preference 0.3) over 64 decode streams:
  // every layer keeps the Zipf skew of the table (12.2), not the 3.3 of a mixture whose
  // successors and favourites ignore popularity.
  auto p = Base(4096, 4, 256, 8);
  p.zipf_s = {0.6};
  p.repeat_prob = 0.25;
  p.affinity_prob = 0.3;
  p.preference_prob = 0.3;
  p.streams = 64;
  const auto t = GenerateSyntheticRouting(p);
  const auto load = ExpertLoadOf(t);
  for (uint32_t l = 0; l < 4; ++l) {
    const double max = *std::max_element(load.begin() + l * 256, load.begin() + (l + 1) * 256);
    EXPECT_GT(max * 256, 10.5) << "layer " << l;
    EXPECT_LT(max * 256, 14.5) << "layer " << l;
  }
  // Affinity follows popularity rank: the hottest expert's successor is the next layer's hottest.
  const auto hottest = [&load](uint32_t l) {
    return static_cast<uint32_t>(std::max_element(load.begin() + l * 256, load.begin() + (l + 1) * 256) -
                                 (load.begin() + l * 256));
  };
  uint32_t followed = 0, from_hottest = 0;
  for (uint32_t tok = 0; tok < t.num_tokens; ++tok) {
    const auto a = t.At(tok, 0).experts, b = t.At(tok, 1).experts;
    if (std::find(a.begin(), a.end(), hottest(0)) == a.end()) continue;
    ++from_hottest;
    followed += std::find(b.begin(), b.end(), hottest(1)) != b.end();
  }
  // Tokens on layer 0's hottest expert reach layer 1's hottest more often than the ~38% of all (0.51 here).
  EXPECT_GT(static_cast<double>(followed) / from_hottest, 0.45) << followed << " of " << from_hottest;
}

TEST(SyntheticRoutingTest, TemporalRepeatRaisesConsecutiveOverlap) {
  auto p = Base(6000, 1, 64, 1);
  p.zipf_s = {0.3};
  auto share_same = [](const RoutingTrace& t) {
    int same = 0;
    for (uint32_t tok = 1; tok < t.num_tokens; ++tok) same += t.At(tok, 0).experts[0] == t.At(tok - 1, 0).experts[0];
    return static_cast<double>(same) / (t.num_tokens - 1);
  };
  const double base = share_same(GenerateSyntheticRouting(p));
  p.repeat_prob = 0.25;
  const double repeat = share_same(GenerateSyntheticRouting(p));
  EXPECT_NEAR(repeat, 0.25 + 0.75 * base, 0.03) << "base " << base;
}

TEST(SyntheticRoutingTest, RecordsAreWellFormedAndSeeded) {
  auto p = Base(300, 4, 32, 4);
  p.zipf_s = {0.2, 0.4, 0.6, 0.8};
  p.repeat_prob = 0.2;
  p.affinity_prob = 0.3;
  p.preference_prob = 0.3;
  p.streams = 7;
  const auto a = GenerateSyntheticRouting(p);
  for (uint32_t tok = 0; tok < 300; ++tok)
    for (uint32_t l = 0; l < 4; ++l) {
      const auto s = a.At(tok, l);
      ASSERT_TRUE(std::is_sorted(s.experts.begin(), s.experts.end()));
      ASSERT_EQ(std::adjacent_find(s.experts.begin(), s.experts.end()), s.experts.end());
      uint32_t sum = 0;
      for (auto w : s.weights_q15) sum += w;
      ASSERT_EQ(sum, 32768u);
    }
  const auto b = GenerateSyntheticRouting(p);
  EXPECT_EQ(a.experts, b.experts);
  p.seed = 6;
  EXPECT_NE(a.experts, GenerateSyntheticRouting(p).experts);
}

TEST(RoutingTraceTest, FilesRoundTrip) {
  auto p = Base(50, 3, 16, 2);
  p.zipf_s = {0.5};
  const auto t = GenerateSyntheticRouting(p);
  const auto path = std::filesystem::temp_directory_path() / "moefab_trace_roundtrip.txt";
  WriteRoutingTrace(path.string(), t);
  const auto r = ReadRoutingTrace(path.string());
  EXPECT_EQ(r.experts, t.experts);
  EXPECT_EQ(r.weights_q15, t.weights_q15);
  EXPECT_EQ(r.num_tokens, 50u);
  std::filesystem::remove(path);
}

std::string ReadError(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / "moefab_trace_bad.txt";
  std::ofstream(path) << text;
  try {
    ReadRoutingTrace(path.string());
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    return msg.substr(msg.find(':') + 1);  // drop the temp path
  }
  return "no error";
}

TEST(RoutingTraceTest, BadFilesNameTheLineAndProblem) {
  const std::string head = "moefab-routing-trace v1\nlayers 1 experts 4 top_k 2 tokens 2\n";
  EXPECT_EQ(ReadError("hello\n"), "1: expected the first line 'moefab-routing-trace v1'");
  EXPECT_EQ(ReadError(head + "0 0 1;2 16384;16384\n0 0 1;2 16384;16384\n"), "4: token 0 layer 0 appears twice");
  EXPECT_EQ(ReadError(head + "0 0 2;1 16384;16384\n"), "3: experts '2;1': expected distinct ids in ascending order");
  EXPECT_EQ(ReadError(head + "0 0 1;9 16384;16384\n"), "3: experts '1;9': expected 2 ';'-separated integers <= 3");
  EXPECT_EQ(ReadError(head + "0 0 1;2 16384;16384\n"), "3: expected 2 records (tokens x layers), found 1");
  EXPECT_EQ(ReadError(head + "5 0 1;2 16384;16384\n"), "3: token 5 layer 0: outside tokens 2 x layers 1");
}

}  // namespace
}  // namespace moefab::router
