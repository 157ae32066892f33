// Scaling-study features in whole runs: routing sources (synthetic, trace files written by one
// run and read by another), timing-only runs without weights, Poisson arrivals, the attention
// timing model, capacity limits with DROP, placement strategies and replica policies, energy.
#include <filesystem>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/results/energy.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

SimulationOutcome RunOnce(const RunOptions& o) {
  LoopbackTransport t;
  return Simulate(o, t, Logger("runtime"));
}

// The tiny model on a 2x2x2 cube with the given extra config text.
RunOptions Small(const std::string& extra, const std::string& simulation = "fidelity: ANALYTIC",
                 const std::string& workload = "num_tokens: 48 concurrency: 8 input_seed: 5") {
  return LoadConfigText(R"(
    model { name: "small" num_layers: 3 d_model: 64 expert_width: 128 num_experts: 16 top_k: 2
            weight_seed: 3 }
    skus { name: "a" kind: ATTENTION attention_ns: 100 gate_ns: 20 combine_ns: 10 }
    skus { name: "e" kind: EXPERT clock_mhz: 1000 mac_lanes: 8 }
    fabric { torus { dims: [2, 2, 2] } }
    chip_groups { sku: "a" count: 1 } chip_groups { sku: "e" count: 3 }
    chip_groups { sku: "a" count: 1 } chip_groups { sku: "e" count: 3 }
    workload { )" + workload +
                            R"( }
    simulation { )" + simulation +
                            " }\n" + extra,
                        "small");
}

std::vector<Tick> Latencies(const SimulationOutcome& out) {
  std::vector<Tick> v;
  for (const auto& t : out.merged.tokens) v.push_back(t.end_ps - t.start_ps);
  return v;
}

TEST(WorkloadTest, TimingOnlyRunNeedsNoWeightsAndMatchesTheRtlTiming) {
  const RunOptions timing = Small("routing { source: SYNTHETIC seed: 9 }");
  ASSERT_TRUE(timing.timing_only);
  EXPECT_FALSE(timing.golden_check);
  const auto a = RunOnce(timing);
  ASSERT_EQ(a.merged.tokens.size(), 48u);
  EXPECT_TRUE(a.merged.tokens[0].final_h.empty());
  EXPECT_EQ(a.merged.job_totals.jobs, 48u * 3 * 2);
  // The same routing with weights, every job in the Verilated RTL: the same ticks.
  const RunOptions rtl = Small("routing { source: SYNTHETIC seed: 9 }", "fidelity: RTL");
  ASSERT_FALSE(rtl.timing_only);
  const auto b = RunOnce(rtl);
  ASSERT_TRUE(b.golden.match);
  EXPECT_EQ(Latencies(a), Latencies(b));
  EXPECT_EQ(a.merged.fabric.packet_hops, b.merged.fabric.packet_hops);
}

TEST(WorkloadTest, TraceWrittenByOneRunReplaysInAnother) {
  const auto dir = std::filesystem::temp_directory_path() / "moefab_trace_test";
  std::filesystem::create_directories(dir);
  const std::string trace = (dir / "routing.trace").string();
  const auto gate = RunOnce(Small("routing { write_trace: \"" + trace + "\" }"));
  ASSERT_TRUE(gate.golden.match);
  ASSERT_TRUE(std::filesystem::exists(trace));
  // Replaying the gate's own routing from the file: same bits, same ticks.
  const RunOptions replay = Small("routing { source: TRACE trace: \"" + trace + "\" }", "fidelity: SAMPLED");
  const auto again = RunOnce(replay);
  ASSERT_TRUE(again.golden.match);
  ASSERT_EQ(again.merged.tokens.size(), gate.merged.tokens.size());
  for (size_t i = 0; i < gate.merged.tokens.size(); ++i)
    EXPECT_EQ(again.merged.tokens[i].final_h, gate.merged.tokens[i].final_h) << "token " << i;
  EXPECT_EQ(Latencies(again), Latencies(gate));
  // A trace of another model shape is refused with the file and the numbers.
  try {
    MakePlan(LoadConfigText(R"(
      model { num_layers: 2 d_model: 64 expert_width: 128 num_experts: 8 top_k: 2 }
      skus { name: "a" kind: ATTENTION } skus { name: "e" kind: EXPERT }
      fabric { torus { dims: [2] } } chips { sku: "a" } chips { sku: "e" }
      routing { source: TRACE trace: ")" +
                                trace + R"(" }
      workload { num_tokens: 4 })",
                            "wrong"));
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("layers 3 experts 16 top_k 2: expected the model's 2 / 8 / 2"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

// Llama 4's rule scales the expert input by the gate weight: its trace keeps the router's own
// weight, so a replay computes the same bits.
TEST(WorkloadTest, Llama4TraceReplaysTheSameBits) {
  const auto dir = std::filesystem::temp_directory_path() / "moefab_trace_llama4";
  std::filesystem::create_directories(dir);
  const std::string trace = (dir / "routing.trace").string();
  const std::string model = R"(
    model { name: "l4" num_layers: 3 d_model: 64 expert_width: 128 num_experts: 16 top_k: 1
            router: TOP1_SIGMOID_INPUT num_shared_experts: 1 weight_seed: 3
            gate_logit_scale: 0.00001 }  # small logits: sigmoid weights well below 1
    skus { name: "a" kind: ATTENTION } skus { name: "e" kind: EXPERT }
    fabric { torus { dims: [4] } }
    chips { sku: "a" } chips { sku: "e" } chips { sku: "e" } chips { sku: "e" }
    workload { num_tokens: 16 concurrency: 4 }
    simulation { fidelity: ANALYTIC })";
  const auto gate = RunOnce(LoadConfigText(model + "routing { write_trace: \"" + trace + "\" }", "l4"));
  ASSERT_TRUE(gate.golden.match);
  const auto replay =
      RunOnce(LoadConfigText(std::string(model).replace(model.find("fidelity: ANALYTIC"), 18, "fidelity: SAMPLED") +
                                 "routing { source: TRACE trace: \"" + trace + "\" }",
                             "l4"));
  ASSERT_TRUE(replay.golden.match);
  for (size_t i = 0; i < gate.merged.tokens.size(); ++i)
    EXPECT_EQ(replay.merged.tokens[i].final_h, gate.merged.tokens[i].final_h) << "token " << i;
  std::filesystem::remove_all(dir);
}

TEST(WorkloadTest, PoissonArrivalsAtTheConfiguredRate) {
  // 1e6 tokens/s: mean gap 1 us, far above the service time, so tokens rarely queue.
  const auto slow =
      RunOnce(Small("", "fidelity: ANALYTIC", "num_tokens: 200 arrival: POISSON rate_tokens_per_s: 1e6 input_seed: 2"));
  ASSERT_TRUE(slow.golden.match);
  const auto& t = slow.merged.tokens;
  ASSERT_EQ(t.size(), 200u);
  const double mean_gap_ps = static_cast<double>(t.back().start_ps) / 199.0;
  EXPECT_NEAR(mean_gap_ps, 1e6, 0.2e6);
  for (size_t i = 1; i < t.size(); ++i) EXPECT_GE(t[i].start_ps, t[i - 1].start_ps);
  // 1e9 tokens/s: arrivals far faster than the attention cores serve; tokens queue there.
  const auto fast =
      RunOnce(Small("", "fidelity: ANALYTIC", "num_tokens: 200 arrival: POISSON rate_tokens_per_s: 1e9 input_seed: 2"));
  ASSERT_TRUE(fast.golden.match);
  Tick slow_queue = 0, fast_queue = 0;
  for (const auto& r : slow.merged.tokens) slow_queue += r.breakdown.core_queue_ps;
  for (const auto& r : fast.merged.tokens) fast_queue += r.breakdown.core_queue_ps;
  EXPECT_GT(fast_queue, 10 * (slow_queue + 1));
}

TEST(WorkloadTest, AttentionTimeFollowsContextAndChipFigures) {
  RunOptions o = Small("", "fidelity: ANALYTIC", "num_tokens: 1 context_length: 8192");
  for (auto& sku : o.skus) {
    sku.compute_tflops = 100;        // 1e14 FLOP/s
    sku.memory_gbytes_per_s = 1000;  // 1e12 B/s
  }
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match);
  const auto& m = o.model;  // heads d/128 -> 1 (min 1), head_dim 128, kv bytes 2*2*1*128
  ASSERT_EQ(m.num_heads, 1u);
  const double bytes = 8192.0 * 512;  // KV cache read per layer
  const double flops = 2.0 * (64 * 128 * 2 + 64 * 128 * 2) + 4.0 * 8192 * 128;
  const double per_layer_s = std::max(bytes / 1e12, flops / 1e14);
  EXPECT_EQ(out.merged.tokens[0].breakdown.attention_ps, 3 * static_cast<Tick>(std::llround(per_layer_s * 1e12)));
  EXPECT_EQ(out.merged.attention_flops, 3 * static_cast<uint64_t>(flops));
}

TEST(WorkloadTest, ContinuousBatchingRunsTheHandComputedBatches) {
  // One MoE layer; two attention chips, each homing two of the four tokens, all four started at
  // tick 0. A batch of 2 at layer 0, context 1000: 2 x 512,000 KV + 65,536 weights (d 64, one
  // head of 128, BF16) = 1,089,536 B at 1e12 B/s = 1,089,536 ps (FLOPs take 11,551 ps). The
  // gates follow one by one: the second token waits for the first's 20 ns.
  const auto run = [](const std::string& batching) {
    return RunOnce(LoadConfigText(R"(
      model { name: "one" num_layers: 1 d_model: 64 expert_width: 128 num_experts: 16 top_k: 2 weight_seed: 3 }
      skus { name: "a" kind: ATTENTION gate_ns: 20 combine_ns: 10 compute_tflops: 100 memory_gbytes_per_s: 1000
             )" + batching + R"( }
      skus { name: "e" kind: EXPERT clock_mhz: 1000 mac_lanes: 8 }
      fabric { torus { dims: [2, 2, 2] } }
      chip_groups { sku: "a" count: 1 } chip_groups { sku: "e" count: 3 }
      chip_groups { sku: "a" count: 1 } chip_groups { sku: "e" count: 3 }
      workload { num_tokens: 4 concurrency: 4 input_seed: 5 context_length: 1000 }
      simulation { fidelity: ANALYTIC })",
                                  "one"));
  };
  const auto full = run("attention_batching: CONTINUOUS max_batch_tokens: 2 max_batch_wait_ns: 1000");
  ASSERT_TRUE(full.golden.match);
  ASSERT_EQ(full.merged.tokens.size(), 4u);
  for (const auto& t : full.merged.tokens) {
    EXPECT_EQ(t.breakdown.attention_ps, 1089536u) << "token " << t.id;
    EXPECT_EQ(t.breakdown.gate_ps, 20000u);
    EXPECT_EQ(t.breakdown.core_queue_ps, t.id < 2 ? 0u : 20000u) << "token " << t.id;  // 2, 3: second in the batch
  }
  // Room for 4: the two tokens wait the full 1000 ns, then run as one batch of 2.
  const auto partial = run("attention_batching: CONTINUOUS max_batch_tokens: 4 max_batch_wait_ns: 1000");
  ASSERT_TRUE(partial.golden.match);
  for (const auto& t : partial.merged.tokens) {
    EXPECT_EQ(t.breakdown.attention_ps, 1089536u);
    EXPECT_EQ(t.breakdown.core_queue_ps, (t.id < 2 ? 0u : 20000u) + 1000000u) << "token " << t.id;
  }
  // FIFO: one token at a time, KV only (weights resident): 512,000 ps each.
  const auto fifo = run("");
  ASSERT_TRUE(fifo.golden.match);
  for (const auto& t : fifo.merged.tokens) EXPECT_EQ(t.breakdown.attention_ps, 512000u);
  EXPECT_EQ(full.merged.attention_flops, fifo.merged.attention_flops);  // batching moves time, not work
}

TEST(WorkloadTest, HbmExpertChipsBatchPerExpertBesideHardwiredOnes) {
  // Timing-only; the second group of expert chips is memory-bound: one expert (3 x 64 x 128 INT4
  // weights = 12,288 B) read at 1e12 B/s takes 12,288 ps; a job is 49,152 FLOPs (492 ps at
  // 1e14 FLOP/s), so batches of up to 25 are memory-bound: every batch takes 12,288 ps. Stored
  // at 8 bits per weight (memory_bits_per_weight, FP8-like) a batch reads twice the bytes.
  const auto run = [](uint32_t max_batch, const std::string& bits) {
    RunOptions o = LoadConfigText(R"(
      model { name: "mix" num_layers: 3 d_model: 64 expert_width: 128 num_experts: 16 top_k: 2 }
      skus { name: "a" kind: ATTENTION attention_ns: 100 gate_ns: 20 combine_ns: 10 }
      skus { name: "e" kind: EXPERT clock_mhz: 1000 mac_lanes: 8 }
      skus { name: "hbm" kind: EXPERT weight_style: HBM compute_tflops: 100 memory_gbytes_per_s: 1000
             max_batch_tokens: )" + std::to_string(max_batch) + " max_batch_wait_ns: 1000 " + bits + R"( }
      fabric { torus { dims: [2, 2, 2] } }
      chip_groups { sku: "a" count: 1 } chip_groups { sku: "e" count: 3 }
      chip_groups { sku: "a" count: 1 } chip_groups { sku: "hbm" count: 3 }
      routing { source: SYNTHETIC seed: 2 }
      workload { num_tokens: 64 concurrency: 16 input_seed: 5 }
      simulation { fidelity: ANALYTIC })",
                                  "mix");
    return RunOnce(o);
  };
  for (const auto& [max_batch, bits, batch_ps] :
       {std::tuple<uint32_t, std::string, uint64_t>{1u, "", 12288u}, {8u, "", 12288u},
        {8u, "memory_bits_per_weight: 8", 24576u}}) {
    SCOPED_TRACE(std::to_string(max_batch) + " " + bits);
    const auto out = run(max_batch, bits);
    ASSERT_EQ(out.merged.tokens.size(), 64u);
    uint64_t hbm_jobs = 0, batches = 0, all_jobs = 0;
    for (const auto& c : out.merged.chips) {
      all_jobs += c.jobs;
      if (c.sku != 2) continue;
      EXPECT_EQ(c.busy_ps % batch_ps, 0u) << "node " << c.node;  // whole batches
      hbm_jobs += c.jobs;
      batches += c.busy_ps / batch_ps;
    }
    EXPECT_EQ(all_jobs, 64u * 3 * 2);  // every routed job served, hardwired or in HBM
    EXPECT_GT(hbm_jobs, 0u);
    if (max_batch == 1) {
      EXPECT_EQ(batches, hbm_jobs);
    } else {
      EXPECT_LT(batches, hbm_jobs) << "no two jobs of one expert shared a batch";
      EXPECT_GE(batches * 8, hbm_jobs);
    }
  }
}

TEST(WorkloadTest, HbmChipsHoldExpertsAtTheirMemoryBitsPerWeight) {
  // 48 slots round-robin over 2 HBM chips = 24 each; one expert is 3 x 64 x 128 weights =
  // 98,304 bits at INT4, 196,608 at 8 bits: a capacity of 24 INT4 experts holds them at 4 bits
  // and not at 8.
  const auto plan = [](const std::string& bits) {
    return MakePlan(LoadConfigText(R"(
      model { name: "cap" num_layers: 3 d_model: 64 expert_width: 128 num_experts: 16 top_k: 2 }
      skus { name: "a" kind: ATTENTION attention_ns: 100 }
      skus { name: "hbm" kind: EXPERT weight_style: HBM compute_tflops: 100 memory_gbytes_per_s: 1000
             weight_capacity_bits: 2359296 )" + bits + R"( }
      fabric { torus { dims: [3] } } chips { sku: "a" } chips { sku: "hbm" } chips { sku: "hbm" }
      routing { source: SYNTHETIC seed: 2 }
      workload { num_tokens: 8 }
      simulation { fidelity: ANALYTIC })",
                                   "cap"));
  };
  EXPECT_NO_THROW(plan(""));
  EXPECT_NO_THROW(plan("memory_bits_per_weight: 4"));
  try {
    plan("memory_bits_per_weight: 8");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("placement puts 24 experts = 4718592"), std::string::npos) << e.what();
  }
}

TEST(WorkloadTest, CapacityDropsOverflowJobsAndTheGoldenReplaysThem) {
  const auto full = RunOnce(Small(""));
  const RunOptions o = Small("", "fidelity: ANALYTIC",
                             "num_tokens: 48 concurrency: 8 input_seed: 5 capacity_factor: 0.5 "
                             "capacity_window_tokens: 8");
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match) << "the golden model replays the run's drops";
  EXPECT_GT(out.merged.jobs_dropped, 0u);
  EXPECT_EQ(out.merged.job_totals.jobs + out.merged.jobs_dropped, full.merged.job_totals.jobs);
  uint64_t dropped = 0;
  for (const auto& t : out.merged.tokens) dropped += t.dropped.size();
  EXPECT_EQ(dropped, out.merged.jobs_dropped);
  // Cap = ceil(0.5 * 8 * 2 / 16) = 1 job per expert per layer per window of 8 tokens at a home.
  EXPECT_LE(out.merged.job_totals.jobs, 2u * 3 * 16 * ((48 / 2 + 7) / 8));
}

TEST(WorkloadTest, PlacementStrategiesAndReplicaPoliciesAllComputeTheModel) {
  const auto base = RunOnce(Small(""));
  for (const char* placement :
       {"placement { strategy: LAYER_BLOCKED }", "placement { strategy: LOAD_BALANCED extra_replicas_per_layer: 6 }",
        "placement { strategy: LOAD_BALANCED extra_replicas_per_layer: 6 replica_policy: LEAST_LOADED }",
        "placement { strategy: LOAD_BALANCED extra_replicas_per_layer: 6 replica_policy: ROUND_ROBIN_REPLICA }",
        "placement { strategy: TOPOLOGY_AWARE }"}) {
    const RunOptions o = Small(placement);
    const auto out = RunOnce(o);
    ASSERT_TRUE(out.golden.match) << placement;
    for (size_t i = 0; i < out.merged.tokens.size(); ++i)
      ASSERT_EQ(out.merged.tokens[i].final_h, base.merged.tokens[i].final_h) << placement;
    if (std::string(placement).find("extra_replicas") != std::string::npos) {
      EXPECT_EQ(out.plan->num_slots(), 3u * (16 + 6)) << placement;
    }
  }
}

TEST(WorkloadTest, TooLittleWeightCapacitySaysHowManyChipsTheModelNeeds) {
  try {
    // 3 x 64 x 128 x 4 bits = 98,304 bits per expert; 2 experts per chip; 48 experts.
    MakePlan(LoadConfigText(R"(
      model { num_layers: 3 d_model: 64 expert_width: 128 num_experts: 16 top_k: 2 }
      skus { name: "a" kind: ATTENTION } skus { name: "e" kind: EXPERT weight_capacity_bits: 200000 }
      fabric { torus { dims: [8] } } chip_groups { sku: "a" count: 1 } chip_groups { sku: "e" count: 7 }
      workload { num_tokens: 4 })",
                            "small.textproto"));
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("the model's 48 expert slots need at least 24 chips of sku e "
                                         "(2 experts each); the config has 7 expert chips"),
              std::string::npos)
        << e.what();
  }
}

TEST(WorkloadTest, EnergyAddsUpFromItsParts) {
  RunOptions o = Small("energy { mac_pj_int4: 0.1 link_pj_per_bit_hop: 2 attention_pj_per_flop: 0.5 }");
  for (auto& sku : o.skus) sku.static_power_w = 10;
  const auto out = RunOnce(o);
  const auto s = Summarise(out.merged);
  const EnergyReport e = ComputeEnergy(o, *out.plan, out.merged, s.makespan_ps);
  EXPECT_EQ(e.macs, out.merged.job_totals.jobs * 3 * 64 * 128);
  EXPECT_DOUBLE_EQ(e.mac_j, static_cast<double>(e.macs) * 0.1e-12);
  uint64_t bits = 0;
  for (const auto& l : out.merged.links) bits += l.bytes * 8;
  EXPECT_EQ(e.link_bit_hops, bits);
  EXPECT_DOUBLE_EQ(e.link_j, static_cast<double>(bits) * 2e-12);
  EXPECT_DOUBLE_EQ(e.static_j, 8 * 10.0 * static_cast<double>(s.makespan_ps) * 1e-12);
  EXPECT_DOUBLE_EQ(e.total_j, e.mac_j + e.link_j + e.attention_j + e.static_j);
  EXPECT_DOUBLE_EQ(e.per_token_j, e.total_j / 48);
}

// Heterogeneous expert chips: an INT4 SKU and an INT3 SKU at another clock. Each
// expert takes its chips' format (the golden model quantises it the same way), SAMPLED checks
// the RTL of both formats, and the MAC energy counts each format's jobs at its own cost.
TEST(WorkloadTest, ExpertChipsOfDifferentFormatsClocksAndLanes) {
  const std::string hetero = R"(
    model { name: "hetero" num_layers: 2 d_model: 64 expert_width: 128 num_experts: 8 top_k: 2
            weight_seed: 3 }
    skus { name: "a" kind: ATTENTION attention_ns: 100 }
    skus { name: "e4" kind: EXPERT clock_mhz: 1000 mac_lanes: 8 weight_format: INT4 }
    skus { name: "e3" kind: EXPERT clock_mhz: 1400 mac_lanes: 8 weight_format: INT3 }
    fabric { torus { dims: [4] } }
    chips { sku: "a" } chips { sku: "e4" } chips { sku: "e3" } chips { sku: "e4" }
    workload { num_tokens: 24 concurrency: 4 input_seed: 5 }
    simulation { fidelity: SAMPLED sample_every: 2 })";
  const RunOptions o = LoadConfigText(hetero, "hetero");
  const ClusterPlan plan = MakePlan(o);
  ASSERT_EQ(plan.expert_format.size(), 16u);
  size_t int3 = 0;
  for (size_t i = 0; i < plan.expert_format.size(); ++i) {
    const NodeId chip = plan.placement.replicas[i].front();
    EXPECT_EQ(plan.expert_format[i], chip == 2 ? chips::WeightFormat::kInt3 : chips::WeightFormat::kInt4);
    int3 += plan.expert_format[i] == chips::WeightFormat::kInt3;
  }
  EXPECT_GT(int3, 0u);
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match);
  EXPECT_GT(out.merged.job_totals.sampled_checks, 0u);
  EXPECT_EQ(out.merged.job_totals.sampled_mismatches, 0u);
  // The same model all INT4 computes different bits (INT3 experts quantise differently).
  RunOptions all4 = LoadConfigText(hetero, "hetero");
  all4.skus[2].format = chips::WeightFormat::kInt4;  // the plan then gives every expert INT4
  const auto ref = RunOnce(all4);
  ASSERT_TRUE(ref.golden.match);
  size_t differ = 0;
  for (size_t i = 0; i < out.merged.tokens.size(); ++i)
    differ += out.merged.tokens[i].final_h != ref.merged.tokens[i].final_h;
  EXPECT_GT(differ, 0u);
  // MAC energy: INT3 jobs at the INT3 cost.
  const EnergyReport e = ComputeEnergy(o, plan, out.merged, Summarise(out.merged).makespan_ps);
  uint64_t jobs3 = 0, jobs4 = 0;
  for (size_t i = 0; i < out.merged.expert_jobs.size(); ++i)
    (plan.expert_format[i] == chips::WeightFormat::kInt3 ? jobs3 : jobs4) += out.merged.expert_jobs[i];
  const double macs = 3.0 * 64 * 128;
  EXPECT_DOUBLE_EQ(e.mac_j,
                   static_cast<double>(jobs4) * macs * 0.05e-12 + static_cast<double>(jobs3) * macs * 0.04e-12);
  // Replicas of one expert on chips of two formats are refused.
  try {
    MakePlan(LoadConfigText(R"(
      model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 2 top_k: 1 }
      skus { name: "a" kind: ATTENTION } skus { name: "e4" kind: EXPERT weight_format: INT4 }
      skus { name: "e3" kind: EXPERT weight_format: INT3 }
      fabric { torus { dims: [3] } } chips { sku: "a" } chips { sku: "e4" } chips { sku: "e3" }
      placement { strategy: EXPLICIT entries { layer: 0 expert: 0 nodes: [1, 2] }
                  entries { layer: 0 expert: 1 nodes: [1] } }
      workload { num_tokens: 2 })",
                            "mixed.textproto"));
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("layer 0 expert 0 has replicas on chips 1 (INT4) and 2 (INT3)"),
              std::string::npos)
        << err.what();
  }
}

}  // namespace
}  // namespace moefab
