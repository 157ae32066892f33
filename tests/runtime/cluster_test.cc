// The whole cluster on one rank (loopback transport): golden equality, closed-form zero-load
// latency, conservation of jobs and bytes, RTL versus ANALYTIC timing, and repeatability.
#include <set>

#include <gtest/gtest.h>

#include "chips/golden_expert.h"
#include "fabric/link.h"
#include "fabric/torus.h"
#include "router/topk.h"
#include "runtime/config_loader.h"
#include "runtime/golden_model.h"
#include "runtime/logging.h"
#include "runtime/loopback_transport.h"
#include "runtime/simulate.h"

namespace moefab {
namespace {

SimulationOutcome RunOnce(const RunOptions& o) {
  LoopbackTransport t;
  return Simulate(o, t, Logger("runtime"));
}

// results.json without the host section (the part that must repeat exactly).
std::string SimulatedJson(const RunOptions& o, const SimulationOutcome& out) {
  std::string s = ResultsJson(o, out.merged, out.golden, out.host);
  return s.substr(0, s.find("\"host\""));
}

RunOptions Tiny() { return LoadConfigText(EmbeddedDefaultConfig(), "tiny"); }

TEST(ClusterTest, TinyRtlMatchesGoldenForEveryToken) {
  const RunOptions o = Tiny();
  const auto out = RunOnce(o);
  EXPECT_TRUE(out.golden.match);
  EXPECT_EQ(out.golden.tokens_checked, o.workload.num_tokens);
  EXPECT_EQ(out.golden.tokens_mismatched, 0u);
  ASSERT_EQ(out.merged.tokens.size(), o.workload.num_tokens);
  // Every job ran: tokens x layers x top-k, spread over the (layer, expert) counters.
  uint64_t jobs = 0;
  for (auto c : out.merged.expert_jobs) jobs += c;
  EXPECT_EQ(jobs, uint64_t{o.workload.num_tokens} * o.model.num_layers * o.model.top_k);
  EXPECT_EQ(out.merged.job_totals.jobs, jobs);
}

TEST(ClusterTest, GoldenCheckCatchesOneFlippedByte) {
  const RunOptions o = Tiny();
  auto out = RunOnce(o);
  auto tokens = out.merged.tokens;
  EXPECT_EQ(CheckAgainstGolden(o, tokens).mismatched, 0u);
  tokens[5].final_h[3] ^= 1;
  const auto tally = CheckAgainstGolden(o, tokens);
  EXPECT_EQ(tally.mismatched, 1u);
  EXPECT_EQ(tally.first_mismatch, 5u);
}

TEST(ClusterTest, RtlAndAnalyticTimingAreIdentical) {
  RunOptions rtl = Tiny();
  RunOptions analytic = rtl;
  analytic.fidelity = Fidelity::kAnalytic;
  const auto a = RunOnce(rtl);
  const auto b = RunOnce(analytic);
  EXPECT_GT(a.merged.rtl_cycles_simulated, 0u);
  EXPECT_EQ(b.merged.rtl_cycles_simulated, 0u);
  ASSERT_EQ(a.merged.tokens.size(), b.merged.tokens.size());
  for (size_t i = 0; i < a.merged.tokens.size(); ++i) {
    EXPECT_EQ(a.merged.tokens[i].end_ps, b.merged.tokens[i].end_ps) << "token " << i;
    EXPECT_EQ(a.merged.tokens[i].final_h, b.merged.tokens[i].final_h) << "token " << i;
  }
  EXPECT_EQ(a.merged.job_totals.rtl_cycles, b.merged.job_totals.rtl_cycles);
}

TEST(ClusterTest, RepeatsBitForBit) {
  const RunOptions o = Tiny();
  EXPECT_EQ(SimulatedJson(o, RunOnce(o)), SimulatedJson(o, RunOnce(o)));
}

TEST(ClusterTest, LinkBytesEqualPacketsTimesHops) {
  const RunOptions o = Tiny();
  const auto out = RunOnce(o);
  const auto torus = fabric::Torus::Make(o.torus_dims);
  const uint64_t packet_bytes = o.model.d_model + o.header_bytes;
  uint64_t expected = 0;
  for (uint32_t l = 0; l < o.model.num_layers; ++l)
    for (uint32_t e = 0; e < o.model.num_experts; ++e) {
      const NodeId chip = o.placement.Replicas(l, e).front();
      // Dispatch and return each cross the same number of hops.
      expected += out.merged.expert_jobs[l * o.model.num_experts + e] * 2 *
                  torus.HopCount(0, chip) * packet_bytes;
    }
  uint64_t bytes = 0;
  for (const auto& link : out.merged.links) bytes += link.bytes;
  EXPECT_EQ(bytes, expected);
}

// One token, one layer, top-1: its latency is the sum of closed forms (with top-2 the two
// dispatch packets may share the first link and queue, which the closed form leaves out).
TEST(ClusterTest, SingleTokenLatencyEqualsClosedForm) {
  std::set<uint32_t> hops_seen;
  for (uint32_t token_seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    RunOptions o = LoadConfigText(R"(
      model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 8 top_k: 1 weight_seed: 9 }
      skus { name: "a" kind: ATTENTION attention_ns: 300 gate_ns: 25 combine_ns: 15 }
      skus { name: "e" kind: EXPERT clock_mhz: 800 mac_lanes: 8 }
      fabric { torus { dims: [3, 3] } router_delay_ps: 7000 link_latency_ps: 3000
               link_bandwidth_mbytes_per_s: 25000 header_bytes: 8 }
      chips { sku: "a" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
      chips { sku: "e" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
      workload { num_tokens: 1 concurrency: 1 })",
                                  "single");
    o.workload.input_seed = token_seed;
    const auto out = RunOnce(o);
    ASSERT_TRUE(out.golden.match);
    ModelData data(o.model, o.workload.input_seed);
    const auto sel = router::SoftmaxTopKRenormalised(
        router::GateLogits(data.Gate(0), data.InputHidden(0)), o.model.top_k,
        o.model.gate_logit_scale);
    const auto torus = fabric::Torus::Make(o.torus_dims);
    const Tick compute =
        o.skus[1].clock.ToTicks(chips::ExpertJobCycles({64, 128}, o.skus[1].mac_lanes));
    ASSERT_EQ(sel.experts.size(), 1u);
    const NodeId chip = o.placement.Replicas(0, sel.experts[0]).front();
    hops_seen.insert(torus.HopCount(0, chip));
    const Tick net = fabric::ZeroLoadLatencyPs(torus.HopCount(0, chip), 64 + 8, o.link);
    const Tick expected = 300000 + 25000 + 2 * net + compute + 15000;
    EXPECT_EQ(out.merged.tokens[0].end_ps - out.merged.tokens[0].start_ps, expected)
        << "input seed " << token_seed;
    const auto& b = out.merged.tokens[0].breakdown;
    EXPECT_EQ(b.attention_ps + b.gate_ps + b.expert_phase_ps + b.combine_ps + b.core_queue_ps,
              expected);
  }
  EXPECT_GE(hops_seen.size(), 2u) << "the seeds should reach chips at different distances";
}

// Two packets leaving on the same link at the same tick: the second waits one serialisation.
TEST(ClusterTest, DispatchPacketsSharingALinkQueue) {
  RunOptions o = LoadConfigText(R"(
    model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 2 top_k: 2 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT }
    fabric { torus { dims: [4] } router_delay_ps: 5000 link_latency_ps: 2000
             link_bandwidth_mbytes_per_s: 10000 header_bytes: 16 }
    chips { sku: "a" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
    placement { strategy: EXPLICIT entries { layer: 0 expert: 0 nodes: [1] }
                entries { layer: 0 expert: 1 nodes: [1] } }
    workload { num_tokens: 1 })",
                                "shared");
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match);
  const Tick ser = fabric::SerializationPs(64 + 16, 10000);
  // Both jobs go 0 -> 1 on one link: the second departs one serialisation later.
  const auto& l01 = out.merged.links[0];
  EXPECT_EQ(l01.from, 0u);
  EXPECT_EQ(l01.to, 1u);
  EXPECT_EQ(l01.packets, 2u);
  EXPECT_EQ(l01.max_queue_delay_ps, ser);
  // Both run on one chip, one after the other. The second job arrives one serialisation
  // after the first but waits for the first job's compute anyway (compute >> ser); its result
  // leaves after both computes and never queues on link 1 -> 0.
  const Tick compute = o.skus[1].clock.ToTicks(chips::ExpertJobCycles({64, 128}, 8));
  const Tick net = fabric::ZeroLoadLatencyPs(1, 64 + 16, o.link);
  ASSERT_GT(compute, ser);
  const Tick expected = 200000 + 20000 + net + 2 * compute + net + 10000;
  EXPECT_EQ(out.merged.tokens[0].end_ps - out.merged.tokens[0].start_ps, expected);
}

}  // namespace
}  // namespace moefab
