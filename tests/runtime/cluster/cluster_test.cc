// The whole cluster on one rank (loopback transport): golden equality, closed-form zero-load
// latency, conservation of jobs and bytes, RTL versus ANALYTIC timing, and repeatability.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "chips/expert_engine.h"
#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "chips/numerics/safetensors.h"
#include "core/error.h"
#include "core/rng.h"
#include "fabric/serialization.h"
#include "fabric/torus.h"
#include "router/topk.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/results/golden_model.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

SimulationOutcome RunOnce(const RunOptions& o) {
  LoopbackTransport t;
  return Simulate(o, t, Logger("runtime"));
}

// results.json without the host section (the part that must repeat exactly).
std::string SimulatedJson(const RunOptions& o, const SimulationOutcome& out) {
  std::string s = ResultsJson(o, out);
  return s.substr(0, s.find("\"host\""));
}

RunOptions Tiny() {
  return LoadConfigText(EmbeddedDefaultConfig(), "tiny");
}

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
  EXPECT_EQ(CheckAgainstGolden(o, *out.plan, tokens).mismatched, 0u);
  tokens[5].final_h[3] ^= 1;
  const auto tally = CheckAgainstGolden(o, *out.plan, tokens);
  EXPECT_EQ(tally.mismatched, 1u);
  EXPECT_EQ(tally.first_mismatch, 5u);
}

TEST(ClusterTest, RtlSampledAndAnalyticGiveIdenticalResults) {
  RunOptions rtl = Tiny();
  RunOptions sampled = rtl;
  sampled.fidelity = Fidelity::kSampled;
  sampled.sample_every = 3;
  RunOptions analytic = rtl;
  analytic.fidelity = Fidelity::kAnalytic;
  const auto a = RunOnce(rtl);
  const auto b = RunOnce(sampled);
  const auto c = RunOnce(analytic);
  EXPECT_GT(a.merged.rtl_cycles_simulated, 0u);
  EXPECT_GT(b.merged.rtl_cycles_simulated, 0u);
  EXPECT_LT(b.merged.rtl_cycles_simulated, a.merged.rtl_cycles_simulated);
  EXPECT_EQ(c.merged.rtl_cycles_simulated, 0u);
  uint64_t expected_checks = 0;  // every 3rd job of each chip, counting from its first
  for (const auto& chip : b.merged.chips) expected_checks += (chip.jobs + 2) / 3;
  EXPECT_EQ(b.merged.job_totals.sampled_checks, expected_checks);
  EXPECT_EQ(b.merged.job_totals.sampled_mismatches, 0u);
  for (const auto* other : {&b, &c}) {
    ASSERT_EQ(a.merged.tokens.size(), other->merged.tokens.size());
    for (size_t i = 0; i < a.merged.tokens.size(); ++i) {
      EXPECT_EQ(a.merged.tokens[i].end_ps, other->merged.tokens[i].end_ps) << "token " << i;
      EXPECT_EQ(a.merged.tokens[i].final_h, other->merged.tokens[i].final_h) << "token " << i;
    }
    EXPECT_EQ(a.merged.job_totals.chip_cycles, other->merged.job_totals.chip_cycles);
  }
}

// SAMPLED must catch a defect: checkers whose silicon differs from the golden datapath (one
// row of weights negated) report mismatches on the sampled jobs; the run itself stays golden.
TEST(ClusterTest, SampledCatchesAFaultyChip) {
  RunOptions o = Tiny();
  o.fidelity = Fidelity::kSampled;
  o.sample_every = 4;
  LoopbackTransport t;
  const auto out = Simulate(o, std::make_shared<ClusterPlan>(MakePlan(o)), t, Logger("runtime"),
                            FaultInjection{.sampled_rtl_wrong_weights = true});
  EXPECT_TRUE(out.golden.match);
  EXPECT_GT(out.merged.job_totals.sampled_checks, 0u);
  EXPECT_EQ(out.merged.job_totals.sampled_mismatches, out.merged.job_totals.sampled_checks);
}

TEST(ClusterTest, RepeatsBitForBit) {
  const RunOptions o = Tiny();
  EXPECT_EQ(SimulatedJson(o, RunOnce(o)), SimulatedJson(o, RunOnce(o)));
}

TEST(ClusterTest, LinkBytesEqualPacketsTimesHops) {
  const RunOptions o = Tiny();
  const auto out = RunOnce(o);
  const auto torus = fabric::Torus::Make(o.torus_dims);
  const uint64_t job_bytes = o.model.d_model + 1 + o.header_bytes;     // x and its exponent
  const uint64_t result_bytes = 2 * o.model.d_model + o.header_bytes;  // y as int16
  uint64_t expected = 0;
  for (uint32_t l = 0; l < o.model.num_layers; ++l)
    for (uint32_t e = 0; e < o.model.num_experts; ++e) {
      const NodeId chip = out.plan->placement.Replicas(l, e).front();
      // Dispatch and return each cross the same number of hops.
      expected +=
          out.merged.expert_jobs[l * o.model.num_experts + e] * torus.HopCount(0, chip) * (job_bytes + result_bytes);
    }
  uint64_t bytes = 0;
  for (const auto& link : out.merged.links) bytes += link.bytes;
  EXPECT_EQ(bytes, expected);
}

// Ticks of the first clock edge at or after t.
Tick NextEdge(Tick t, Tick period) {
  return (t + period - 1) / period * period;
}

// One token, one layer, top-1: its latency is the sum of closed forms (with top-2 the two
// dispatch packets may share the first link and queue, which the closed form leaves out).
TEST(ClusterTest, SingleTokenLatencyEqualsClosedForm) {
  std::set<uint32_t> hops_seen;
  for (uint32_t token_seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    RunOptions o = LoadConfigText(R"(
      model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 8 top_k: 1 weight_seed: 9 }
      skus { name: "a" kind: ATTENTION attention_ns: 300 gate_ns: 25 combine_ns: 15 }
      skus { name: "e" kind: EXPERT clock_mhz: 800 mac_lanes: 8 egress_bandwidth_mbytes_per_s: 40000 }
      fabric { torus { dims: [3, 3] } router_delay_ps: 7000 link_latency_ps: 3000
               link_bandwidth_mbytes_per_s: 25000 header_bytes: 8 }
      chips { sku: "a" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
      chips { sku: "e" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
      workload { num_tokens: 1 concurrency: 1 })",
                                  "single");
    o.workload.input_seed = token_seed;
    const auto out = RunOnce(o);
    ASSERT_TRUE(out.golden.match);
    ModelData data(o, *out.plan);
    const auto h = data.InputHidden(0);
    const uint8_t e = chips::DispatchExponent(h);
    std::vector<int8_t> x(h.size());
    chips::QuantizeForDispatch(h, e, x);
    const auto sel = data.Route(0, x, e).selection;
    const auto torus = fabric::Torus::Make(o.torus_dims);
    const auto pipe = chips::MeasurePipeline(EngineConfigOf(o.model, o.skus[1]));
    ASSERT_EQ(sel.experts.size(), 1u);
    const NodeId chip = out.plan->placement.Replicas(0, sel.experts[0]).front();
    const uint32_t hops = torus.HopCount(0, chip);
    hops_seen.insert(hops);
    const Tick period = o.skus[1].clock.period_ps;
    // The default fabric: virtual cut-through, 64-byte flits (fabric/network.h closed form).
    const auto& net = o.fabric.network;
    const auto& link = o.fabric.topology.link;
    const Tick arrive = 300000 + 25000 + fabric::ZeroLoadMessageLatencyPs(net, link, hops, 64 + 1);
    const Tick done = NextEdge(arrive, period) + pipe.latency.value * period;
    const Tick leave = done + fabric::SerializationPs(2 * 64, 40000);
    const Tick back = leave + fabric::ZeroLoadMessageLatencyPs(net, link, hops, 2 * 64);
    const Tick expected = back + 15000;
    EXPECT_EQ(out.merged.tokens[0].end_ps - out.merged.tokens[0].start_ps, expected) << "input seed " << token_seed;
    const auto& b = out.merged.tokens[0].breakdown;
    EXPECT_EQ(b.attention_ps + b.gate_ps + b.expert_phase_ps + b.combine_ps + b.core_queue_ps, expected);
  }
  EXPECT_GE(hops_seen.size(), 2u) << "the seeds should reach chips at different distances";
}

// Two jobs of one token for two slots of one chip: the dispatch packets queue on the shared
// link, the two slots run in parallel, and the egress port sends the results one after the
// other. Store-and-forward with 1-byte flits: per hop router + serialisation + wire.
TEST(ClusterTest, TwoSlotsOfOneChipOverlapAndShareTheEgress) {
  RunOptions o = LoadConfigText(R"(
    model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 2 top_k: 2 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT clock_mhz: 1000 egress_bandwidth_mbytes_per_s: 10000 }
    fabric { torus { dims: [4] } router_delay_ps: 5000 link_latency_ps: 2000
             link_bandwidth_mbytes_per_s: 10000 header_bytes: 16
             flow_control: STORE_AND_FORWARD flit_bytes: 1 }
    chips { sku: "a" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
    placement { strategy: EXPLICIT entries { layer: 0 expert: 0 nodes: [1] }
                entries { layer: 0 expert: 1 nodes: [1] } }
    workload { num_tokens: 1 })",
                                "shared");
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match);
  const Tick ser_job = fabric::SerializationPs(64 + 1 + 16, 10000);
  const auto& l01 = out.merged.links[0];
  EXPECT_EQ(l01.from, 0u);
  EXPECT_EQ(l01.to, 1u);
  EXPECT_EQ(l01.packets, 2u);
  EXPECT_EQ(l01.peak_waiting_packets, 1u) << "the second job waited for the first";
  const Tick period = 1000;
  const auto pipe = chips::MeasurePipeline(EngineConfigOf(o.model, o.skus[1]));
  // One hop, store-and-forward: router, serialisation, wire, then the ejection decision.
  const Tick arrive1 = 220000 + 5000 + ser_job + 2000 + 5000;
  const Tick arrive2 = arrive1 + ser_job;
  const Tick done1 = NextEdge(arrive1, period) + pipe.latency.value * period;
  const Tick done2 = NextEdge(arrive2, period) + pipe.latency.value * period;
  const Tick ser_result = fabric::SerializationPs(2 * 64, 10000);
  const Tick leave1 = done1 + ser_result;
  const Tick leave2 = std::max(done2, leave1) + ser_result;
  // Both results cross link 1 -> 0, whose serialisation (header included) is longer than the
  // egress spacing: the second result queues there behind the first.
  const Tick ser_link = fabric::SerializationPs(2 * 64 + 16, 10000);
  const Tick depart1 = leave1 + 5000;
  const Tick depart2 = std::max(leave2 + 5000, depart1 + ser_link);
  const Tick back2 = depart2 + ser_link + 2000 + 5000;  // wire, then the ejection decision
  EXPECT_EQ(out.merged.tokens[0].end_ps, back2 + 10000);
  ASSERT_EQ(out.merged.chips.size(), 4u);
  EXPECT_EQ(out.merged.chips[1].slots, 2u);
  EXPECT_GT(out.merged.chips[1].slot_active_ps, out.merged.chips[1].busy_ps)
      << "the two slots were busy at the same time";
}

// Back-pressure: a one-entry ingress queue and one result buffer still finish every token
// with the golden bits; jobs wait at the ejection port and the queue never exceeds one.
TEST(ClusterTest, BackPressureHoldsJobsInTheNetworkAndLosesNothing) {
  RunOptions o = Tiny();
  for (auto& sku : o.skus) {
    sku.ingress_queue_jobs = 1;
    sku.egress_buffer_results = 1;
  }
  o.workload.concurrency = 16;
  const auto out = RunOnce(o);
  EXPECT_TRUE(out.golden.match);
  EXPECT_GT(out.merged.job_totals.blocked_ps, 0u);
  for (const auto& c : out.merged.chips) EXPECT_LE(c.max_ingress, 1u);
  const auto unbounded = RunOnce(Tiny());
  EXPECT_GE(Summarise(out.merged).mean_ns, Summarise(unbounded.merged).mean_ns);
}

}  // namespace
}  // namespace moefab

namespace moefab {
namespace {

// Real weights: a safetensors file with float experts and gates (FLOAT_NAMED layout), read,
// quantised to INT4, run on the RTL and checked against the golden model.
TEST(ClusterWeightsTest, RunsFromASafetensorsFile) {
  const auto path = std::filesystem::temp_directory_path() / "moefab_cluster_weights.safetensors";
  std::vector<chips::TensorToWrite> tensors;
  const chips::ExpertShape shape{64, 128};
  SplitMix64 rng(3);
  for (uint32_t layer = 0; layer < 2; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    std::vector<float> gate(4 * 64);
    for (auto& v : gate) v = static_cast<float>(rng.UniformDouble() - 0.5);
    tensors.push_back(chips::F32Tensor(p + "gate.weight", {4, 64}, gate));
    for (uint32_t e = 0; e < 4; ++e) {
      const auto f = chips::MakeSyntheticFloatExpert(shape, chips::Activation::kSwiGlu, 100 + layer * 4 + e);
      const std::string q = p + "experts." + std::to_string(e) + ".";
      tensors.push_back(chips::F32Tensor(q + "gate_proj.weight", {128, 64}, f.w_gate));
      tensors.push_back(chips::F32Tensor(q + "up_proj.weight", {128, 64}, f.w_up));
      tensors.push_back(chips::F32Tensor(q + "down_proj.weight", {64, 128}, f.w_down));
    }
  }
  chips::WriteSafetensors(path.string(), tensors);
  RunOptions o = LoadConfigText(R"(
    model { num_layers: 2 d_model: 64 expert_width: 128 num_experts: 4 top_k: 2
            weights { safetensors: ")" +
                                    path.string() + R"(" layout: FLOAT_NAMED tensor_prefix: "model.layers." } }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT }
    fabric { torus { dims: [3] } }
    chips { sku: "a" } chips { sku: "e" } chips { sku: "e" }
    workload { num_tokens: 12 concurrency: 4 })",
                                "weights");
  const auto out = RunOnce(o);
  EXPECT_TRUE(out.golden.match);
  EXPECT_EQ(out.golden.tokens_checked, 12u);
  EXPECT_GT(out.quant.experts, 0u) << "float reference comes from the file";
  EXPECT_GT(out.quant.cosine_min, 0.9);
  // A missing tensor is bad input naming the file and the tensor.
  o.model.tensor_prefix = "nope.";
  try {
    RunOnce(o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.0."), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace moefab
