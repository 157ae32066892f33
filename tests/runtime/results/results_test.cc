// results.json pieces: the JSON writer, latency percentiles, report transport and merge.
#include <gtest/gtest.h>

#include "runtime/results/json_writer.h"
#include "runtime/results/rank_report.h"
#include "runtime/results/results.h"
#include "runtime/results/routing_skew.h"

namespace moefab {
namespace {

TEST(JsonWriterTest, WritesNestedDocumentsWithStableNumbers) {
  JsonWriter j;
  j.BeginObject().Field("a", uint64_t{1}).Field("b", 0.1).Field("s", "x\"y\n");
  j.Key("arr").BeginArray().Double(1.5).Int(-2).EndArray();
  j.Key("empty").BeginObject().EndObject();
  j.EndObject();
  EXPECT_EQ(j.str(),
            "{\n  \"a\": 1,\n  \"b\": 0.1,\n  \"s\": \"x\\\"y\\n\",\n  \"arr\": [\n    1.5,\n"
            "    -2\n  ],\n  \"empty\": {}\n}\n");
}

TokenRecord Token(uint32_t id, Tick start, Tick end) {
  TokenRecord t;
  t.id = id;
  t.start_ps = start;
  t.end_ps = end;
  t.final_h = {static_cast<int16_t>(id), -1};
  return t;
}

TEST(ResultsTest, PercentilesUseNearestRank) {
  RankReport r;
  // Latencies 1..100 ns.
  for (uint32_t i = 0; i < 100; ++i) r.tokens.push_back(Token(i, 0, (i + 1) * 1000ULL));
  const auto s = Summarise(r);
  EXPECT_EQ(s.p50_ns, 50);
  EXPECT_EQ(s.p90_ns, 90);
  EXPECT_EQ(s.p99_ns, 99);
  EXPECT_EQ(s.max_ns, 100);
  EXPECT_DOUBLE_EQ(s.mean_ns, 50.5);
  EXPECT_EQ(s.makespan_ps, 100000u);
  EXPECT_DOUBLE_EQ(s.throughput_tokens_per_s, 100 / 100e-9);
}

TEST(ResultsTest, ReportsSurviveSerialisationAndMergeInIdOrder) {
  RankReport a, b;
  a.tokens = {Token(3, 0, 10), Token(0, 0, 20)};
  b.tokens = {Token(1, 5, 30)};
  a.links = {LinkRecord{5, 1, 2, 0, 100, 1, 40, 0}};
  b.links = {LinkRecord{2, 0, 1, 0, 200, 2, 80, 3}};
  a.expert_jobs = {1, 0, 2};
  b.expert_jobs = {0, 4, 1};
  a.events = 7;
  b.events = 5;
  auto merged = MergeReports({DeserializeReport(SerializeReport(a)), DeserializeReport(SerializeReport(b))});
  ASSERT_EQ(merged.tokens.size(), 3u);
  EXPECT_EQ(merged.tokens[0].id, 0u);
  EXPECT_EQ(merged.tokens[1].id, 1u);
  EXPECT_EQ(merged.tokens[2].id, 3u);
  EXPECT_EQ(merged.tokens[2].final_h, (std::vector<int16_t>{3, -1}));
  ASSERT_EQ(merged.links.size(), 2u);
  EXPECT_EQ(merged.links[0].index, 2u);
  EXPECT_EQ(merged.links[0].peak_waiting_packets, 3u);
  EXPECT_EQ(merged.expert_jobs, (std::vector<uint64_t>{1, 4, 3}));
  EXPECT_EQ(merged.events, 12u);
}

TEST(RoutingSkewTest, HottestExpertGroupAndChipOverTheirMeans) {
  RunOptions o;
  o.model.num_layers = 2;
  o.model.num_experts = 64;  // 32 groups of 2 experts
  o.model.num_shared_experts = 1;
  o.skus.resize(2);
  o.skus[0].kind = ChipKind::kAttention;
  o.skus[1].kind = ChipKind::kExpert;
  RankReport r;
  // Layer 0: experts 0 and 1 hot (50, 30), 62 experts at 10, the shared expert 1000 (left out):
  // 700 routed jobs, mean 10.9375, max/mean 50 / 10.9375; group 0 holds 80 of 700 over 32
  // groups (mean 21.875). Layer 1: no jobs, so 0.
  r.expert_jobs.assign(2 * 65, 0);
  for (uint32_t e = 0; e < 64; ++e) r.expert_jobs[e] = e == 0 ? 50 : e == 1 ? 30 : 10;
  r.expert_jobs[64] = 1000;
  r.chips = {ChipRecord{0, 0, 0, 999, 0, 0, 0}, ChipRecord{1, 1, 0, 600, 0, 0, 0}, ChipRecord{2, 1, 0, 200, 0, 0, 0},
             ChipRecord{3, 1, 0, 100, 0, 0, 0}};
  const RoutingSkew s = ComputeRoutingSkew(o, r);
  ASSERT_EQ(s.per_expert.size(), 2u);
  EXPECT_DOUBLE_EQ(s.per_expert[0], 50 / 10.9375);
  EXPECT_EQ(s.per_expert[1], 0);
  EXPECT_DOUBLE_EQ(s.per_expert_mean, 50 / 10.9375 / 2);
  EXPECT_DOUBLE_EQ(s.per_expert_max, 50 / 10.9375);
  EXPECT_EQ(s.groups, 32u);
  EXPECT_DOUBLE_EQ(s.per_group[0], 80 / 21.875);
  EXPECT_DOUBLE_EQ(s.per_group_max, 80 / 21.875);
  EXPECT_DOUBLE_EQ(s.per_expert_chip, 600 / 300.0);  // the attention chip's count is left out
  // Fewer experts than 32: one group per expert.
  o.model.num_experts = 8;
  o.model.num_layers = 1;
  r.expert_jobs = {8, 1, 1, 1, 1, 1, 1, 2, 50};
  const RoutingSkew few = ComputeRoutingSkew(o, r);
  EXPECT_EQ(few.groups, 8u);
  EXPECT_DOUBLE_EQ(few.per_group_mean, 8 / 2.0);
  EXPECT_DOUBLE_EQ(few.per_expert_mean, 8 / 2.0);
}

}  // namespace
}  // namespace moefab
