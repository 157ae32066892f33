// Issue 12: every numeric field is range-checked at load with one message naming the file, the
// field, the value and the range; derived quantities (attention ticks, rewiring spacing, the
// memory estimate) are checked before the run computes or allocates them. The CLI goldens in
// tests/golden/bad/ cover the same contract end to end; these cover the remaining fields.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/config/config_loader.h"

namespace moefab {
namespace {

std::string Tiny() {
  std::ifstream in(std::filesystem::path(MOEFAB_SOURCE_DIR) / "configs" / "tiny.textproto");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `text` with each "section { fields }" of `extra` merged into its section (or appended when
// the section is absent or repeated, as skus).
std::string Merge(std::string text, const std::string& extra) {
  std::istringstream in(extra);
  std::string line;
  while (std::getline(in, line)) {
    const auto brace = line.find(" { ");
    if (brace == std::string::npos) continue;
    const std::string head = line.substr(0, brace + 3);
    const auto at = line.rfind('}');
    const auto pos = head == "skus { " ? std::string::npos : text.find("\n" + head.substr(0, head.size() - 1));
    if (pos == std::string::npos) {
      text += "\n" + line + "\n";
      continue;
    }
    std::istringstream fields(line.substr(brace + 3, at - brace - 3));
    std::string name, value;
    while (fields >> name >> value) {
      const auto old = text.find("\n  " + name + " ", pos);
      if (old != std::string::npos) text.erase(old + 1, text.find('\n', old + 1) - old - 1);  // keep one newline
      text.insert(text.find('{', pos) + 1, " " + name + " " + value + "\n");
    }
  }
  return text;
}

// The load error of tiny.textproto with `extra` merged in ("" if it loads).
std::string LoadError(const std::string& extra) {
  try {
    (void)LoadConfigText(Merge(Tiny(), extra), "tiny+");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigLimitsTest, OutOfRangeFieldsNameFileFieldValueAndRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"skus { name: \"x\" kind: ATTENTION memory_gbytes_per_s: nan }",
       "tiny+: skus[2].memory_gbytes_per_s=nan: expected 0.001 to 1e+09"},
      {"skus { name: \"x\" kind: ATTENTION static_power_w: inf }", "tiny+: skus[2].static_power_w=inf: expected 0 to"},
      {"skus { name: \"x\" kind: ATTENTION transistors_per_mm2: -1 }",
       "tiny+: skus[2].transistors_per_mm2=-1: expected 1000 to 1e+12"},
      {"skus { name: \"x\" kind: EXPERT egress_bandwidth_mbytes_per_s: 2000000000 }",
       "skus[2].egress_bandwidth_mbytes_per_s=2000000000: expected 1 to 1000000000"},
      {"routing { affinity_prob: nan }", "tiny+: routing.affinity_prob=nan: expected 0 to 1"},
      {"routing { preference_prob: 1.5 }", "tiny+: routing.preference_prob=1.5: expected 0 to 1"},
      {"routing { zipf_s: inf }", "tiny+: routing.zipf_s[0]=inf: expected 0 to 10"},
      {"energy { link_pj_per_bit_hop: nan }", "tiny+: energy.link_pj_per_bit_hop=nan: expected 0 to 1e+06"},
      {"workload { arrival: POISSON rate_tokens_per_s: inf }",
       "tiny+: workload.rate_tokens_per_s=inf: expected 1e-06 to 1e+12"},
      {"workload { capacity_factor: nan }", "tiny+: workload.capacity_factor=nan: expected 0 to 1e+06"},
      {"workload { concurrency: 2000000 }", "tiny+: workload.concurrency=2000000: expected 1 to 1048576"},
      {"fabric { link_bandwidth_mbytes_per_s: 18446744073709551615 }",
       "fabric.link_bandwidth_mbytes_per_s=18446744073709551615: expected 1 to 1000000000"},
      {"fabric { mtu_bytes: 4294967295 }", "tiny+: fabric.mtu_bytes=4294967295: expected 1 to 16777216"},
      {"fabric { credit_delay_ps: 18446744073709551615 }",
       "fabric.credit_delay_ps=18446744073709551615: expected 0 to"},
      {"model { num_heads: 4294967295 }", "tiny+: model.num_heads=4294967295: expected 0 to 65536"},
      {"placement { slots_per_chip: 4294967295 }", "tiny+: placement.slots_per_chip=4294967295: expected 0 to 1048576"},
      {"simulation { sample_every: 4294967295 }", "tiny+: simulation.sample_every=4294967295: expected 1 to 1048576"},
      {"simulation { memory_budget_mbytes: 1 }", "tiny+: estimated memory"},
      {"skus { name: \"x\" kind: ATTENTION max_batch_tokens: 0 }",
       "tiny+: skus[2].max_batch_tokens=0: expected 1 to 65536"},
      {"skus { name: \"x\" kind: ATTENTION max_batch_wait_ns: 4000000000 }",
       "tiny+: skus[2].max_batch_wait_ns=4000000000: expected 0 to 1000000000"},
      {"skus { name: \"x\" kind: ATTENTION attention_batching: CONTINUOUS }",
       "tiny+: skus[2].attention_batching=CONTINUOUS: expected compute_tflops or memory_gbytes_per_s > 0"},
      {"skus { name: \"x\" kind: ATTENTION attention_batching: 7 }",
       "tiny+: skus[2].attention_batching=7: expected one of FIFO, CONTINUOUS"},
      {"skus { name: \"x\" kind: EXPERT weight_style: HBM compute_tflops: 1 }",
       "tiny+: skus[2].weight_style=HBM: expected compute_tflops > 0 and memory_gbytes_per_s > 0"},
      {"skus { name: \"x\" kind: EXPERT weight_style: HBM compute_tflops: 1 memory_gbytes_per_s: 1 }",
       "tiny+: skus[2] (x): weight_style=HBM: expected a timing-only run"},
      {"skus { name: \"x\" kind: EXPERT memory_bits_per_weight: 65 }",
       "tiny+: skus[2].memory_bits_per_weight=65: expected 0 to 64"},
      {"model { kv_lora_rank: 70000 }", "tiny+: model.kv_lora_rank=70000: expected 0 to 65536"},
      {"model { kv_lora_rank: 16 qk_rope_head_dim: 500 }",
       "tiny+: model.qk_rope_head_dim=500: expected less than model.head_dim (128"},
      {"simulation { peer_timeout_seconds: 1000000 }",
       "tiny+: simulation.peer_timeout_seconds=1000000: expected 1 to 604800"},
      {"simulation { checkpoint_every_us: 18446744073709551615 fidelity: ANALYTIC }",
       "tiny+: simulation.checkpoint_every_us=18446744073709551615: expected 1 to 1000000000000"},
      {"simulation { checkpoint_every_us: 5 }", "simulation.checkpoint_every_us=5: checkpoints need fidelity ANALYTIC"},
      {"simulation { checkpoint_every_us: 5 fidelity: ANALYTIC sync: SYNC_ASYNC }",
       "simulation.checkpoint_every_us=5: checkpoints need SYNC_AUTO or SYNC_WINDOWS"},
  };
  for (const auto& [extra, expected] : cases) {
    SCOPED_TRACE(extra);
    const std::string error = LoadError(extra);
    EXPECT_NE(error.find(expected), std::string::npos) << error;
  }
}

// fabric-bench's own fields (its sweep's cycles and sizes) are bounded like every other.
TEST(ConfigLimitsTest, FabricBenchFieldsHaveRanges) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"measure_cycles: 18446744073709551615",
       "tiny+: fabric.bench.measure_cycles=18446744073709551615: expected 1 to 100000000"},
      {"measure_cycles: 0", "tiny+: fabric.bench.measure_cycles=0: expected 1 to 100000000"},
      {"warmup_cycles: 100000001", "tiny+: fabric.bench.warmup_cycles=100000001: expected 0 to 100000000"},
      {"packet_payload_bytes: 4294967295", "tiny+: fabric.bench.packet_payload_bytes=4294967295: expected 0 to"},
      {"all_to_all_bytes: 1099511627776",
       "tiny+: fabric.bench.all_to_all_bytes=1099511627776: expected 0 to 1073741824"},
  };
  for (const auto& [bench, expected] : cases) {
    SCOPED_TRACE(bench);
    std::string text = Tiny();
    const auto at = text.find("fabric {");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + 8, " bench { " + bench + " } ");
    try {
      (void)LoadConfigText(text, "tiny+");
      ADD_FAILURE() << "loaded";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

// The memory estimate names its parts and the budget, and a raised budget accepts the run.
TEST(ConfigLimitsTest, MemoryEstimateIsRefusedAboveTheBudget) {
  const std::string big =
      "workload { num_tokens: 400000000 }\nrouting { source: SYNTHETIC }\nsimulation { fidelity: ANALYTIC }\n";
  const std::string error = LoadError(big);
  EXPECT_NE(error.find("routing table"), std::string::npos) << error;
  EXPECT_NE(error.find("expected at most simulation.memory_budget_mbytes (16384 MB)"), std::string::npos) << error;
  EXPECT_EQ(LoadError(big + "simulation { memory_budget_mbytes: 1000000 }"), "");
  EXPECT_EQ(LoadError("routing { source: SYNTHETIC }"), "");
}

// A realistic 10 ms MEMS switch loads when the rewirings are far enough apart.
TEST(ConfigLimitsTest, SlowOcsSwitchLoadsWhenTheScheduleAllowsIt) {
  std::ifstream in(std::filesystem::path(MOEFAB_SOURCE_DIR) / "configs" / "ocs16.textproto");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string at = "at_ps: 30000000 ";
  ASSERT_NE(text.find(at), std::string::npos);
  text = Merge(text, "fabric { ocs_switch_ps: 10000000000 }");
  EXPECT_THROW((void)LoadConfigText(text, "ocs"), ConfigError);
  text.replace(text.find(at), at.size(), "at_ps: 20100000000 ");
  EXPECT_NO_THROW((void)LoadConfigText(text, "ocs"));
}

}  // namespace
}  // namespace moefab
