// results.json pieces: the JSON writer, latency percentiles, report transport and merge.
#include <gtest/gtest.h>

#include "runtime/results/json_writer.h"
#include "runtime/results/rank_report.h"
#include "runtime/results/results.h"

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

}  // namespace
}  // namespace moefab
