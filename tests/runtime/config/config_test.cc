// Config loading: every example config loads; every bad config gives its expected message.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/config/config_loader.h"
#include "runtime/config/fabric_options.h"
#include "runtime/plan/cluster_plan.h"

namespace moefab {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ConfigTest, EveryExampleConfigLoads) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(MOEFAB_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".textproto") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(LoadConfigFile(entry.path().string()));
    ++count;
  }
  EXPECT_GE(count, 1);
}

TEST(ConfigTest, EveryFabricBenchConfigLoads) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(MOEFAB_SOURCE_DIR) / "configs" / "fabric")) {
    SCOPED_TRACE(entry.path().string());
    const auto f = LoadFabricModel(entry.path().string());
    EXPECT_GT(f.num_nodes, 1u);
    EXPECT_FALSE(f.patterns.empty());
    ++count;
  }
  EXPECT_GE(count, 2);
}

TEST(ConfigTest, ChipGroupsExpandInNodeOrder) {
  const RunOptions o = LoadConfigText(R"(
    model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 1 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT }
    fabric { torus { dims: [5] } }
    chip_groups { sku: "a" count: 2 }
    chip_groups { sku: "e" count: 3 }
    workload { num_tokens: 1 })",
                                      "groups");
  EXPECT_EQ(o.node_sku, (std::vector<uint32_t>{0, 0, 1, 1, 1}));
}

// chip_pattern follows the torus: the same config on 5 and 7 nodes, one attention chip every 3.
TEST(ConfigTest, ChipPatternScalesWithTheTorus) {
  const std::string head = R"(
    model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 1 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT }
    chip_pattern { attention_sku: "a" expert_sku: "e" nodes_per_attention: 3 }
    workload { num_tokens: 1 })";
  EXPECT_EQ(LoadConfigText(head + "fabric { torus { dims: [5] } }", "p5").node_sku,
            (std::vector<uint32_t>{0, 1, 1, 0, 1}));
  EXPECT_EQ(LoadConfigText(head + "fabric { torus { dims: [7] } }", "p7").node_sku,
            (std::vector<uint32_t>{0, 1, 1, 0, 1, 1, 0}));
  EXPECT_EQ(LoadConfigText(head + "fabric { torus { dims: [2, 3] } }", "p6").num_nodes(), 6u);
}

TEST(ConfigTest, ChipPatternProblems) {
  const std::string base = R"(
    model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 1 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT }
    fabric { torus { dims: [4] } }
    workload { num_tokens: 1 })";
  const auto error = [&](const std::string& extra) {
    try {
      LoadConfigText(base + extra, "pattern.textproto");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error(R"(chip_pattern { attention_sku: "a" expert_sku: "e" nodes_per_attention: 1 })"),
            "pattern.textproto: chip_pattern.nodes_per_attention=1: expected 2 to 1048576");
  EXPECT_EQ(error(R"(chip_pattern { attention_sku: "e" expert_sku: "a" nodes_per_attention: 2 })"),
            "pattern.textproto: chip_pattern.attention_sku=\"e\": expected an ATTENTION chip kind\n"
            "pattern.textproto: chip_pattern.expert_sku=\"a\": expected an EXPERT chip kind");
  EXPECT_NE(error(R"(chip_pattern { attention_sku: "a" expert_sku: "e" nodes_per_attention: 2 } chips { sku: "a" })")
                .find("chip_pattern=(set): expected chip_pattern alone, without chips or chip_groups"),
            std::string::npos);
  EXPECT_NE(error(R"(chip_pattern { attention_sku: "x" expert_sku: "e" nodes_per_attention: 2 })")
                .find("chip_pattern.attention_sku=\"x\": expected the name of a chip kind in skus (a, e)"),
            std::string::npos);
}

// A folder or an empty file as CONFIG: one line, not one per missing section.
TEST(ConfigTest, FolderOrEmptyConfigIsOneProblem) {
  try {
    LoadConfigFile(MOEFAB_SOURCE_DIR);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), std::string(MOEFAB_SOURCE_DIR) +
                                         ": a folder; expected a config file (text-format protobuf, e.g. "
                                         "configs/tiny.textproto)");
  }
  try {
    LoadConfigText("# nothing here\n", "empty.textproto");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("empty.textproto: no settings found"), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  // A missing section alone: no follow-on range errors of its fields.
  try {
    LoadConfigText(R"(skus { name: "a" kind: ATTENTION } workload { num_tokens: 1 })", "partial.textproto");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "partial.textproto: model=(missing): expected a model section\n"
              "partial.textproto: fabric.torus=(missing): expected a torus with dims\n"
              "partial.textproto: chips=(none): expected one entry per torus node (chips, chip_groups or "
              "chip_pattern)");
  }
}

TEST(ConfigTest, EmbeddedDefaultIsTinyTextproto) {
  EXPECT_EQ(EmbeddedDefaultConfig(), ReadFile(fs::path(MOEFAB_SOURCE_DIR) / "configs" / "tiny.textproto"));
  const RunOptions o = LoadConfigText(EmbeddedDefaultConfig(), "tiny");
  EXPECT_EQ(o.model.num_layers, 2u);
  EXPECT_EQ(o.model.num_experts, 8u);
  EXPECT_EQ(o.num_nodes(), 4u);
  EXPECT_EQ(o.skus[o.node_sku[0]].kind, ChipKind::kAttention);
}

TEST(ConfigTest, DefaultsAreResolvedWithUnits) {
  const RunOptions o = LoadConfigText(R"(
    model { num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 1 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT clock_mhz: 1500 }
    fabric { torus { dims: [2] } }
    chips { sku: "a" } chips { sku: "e" }
    workload { num_tokens: 1 })",
                                      "inline");
  EXPECT_EQ(o.fabric.network.router_delay_ps, 20000u);
  EXPECT_EQ(o.fabric.topology.link.latency_ps, 10000u);
  EXPECT_EQ(o.fabric.topology.link.bandwidth_mbytes_per_s, 50000u);
  EXPECT_EQ(o.header_bytes, 16u);
  EXPECT_EQ(o.skus[0].attention_ps, 200000u);
  EXPECT_EQ(o.skus[1].clock.period_ps, 667u);  // 1500 MHz rounded to the nearest ps
  EXPECT_EQ(o.skus[1].mac_lanes, 8u);
  EXPECT_EQ(o.workload.concurrency, 1u);
  EXPECT_EQ(o.fidelity, Fidelity::kRtl);
  EXPECT_TRUE(o.golden_check);
  EXPECT_EQ(MakePlan(o).placement.Replicas(0, 3), std::vector<NodeId>{1});
}

TEST(ConfigTest, MissingFileNamesThePath) {
  try {
    LoadConfigFile("/nonexistent/cluster.textproto");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cluster.textproto: cannot open"), std::string::npos) << e.what();
  }
}

TEST(ConfigTest, AllProblemsAreReportedTogether) {
  try {
    LoadConfigText(R"(
      model { num_layers: 0 d_model: 64 expert_width: 128 num_experts: 4 top_k: 5 }
      skus { name: "a" kind: ATTENTION }
      fabric { torus { dims: [2] } }
      chips { sku: "a" } chips { sku: "a" }
      workload { num_tokens: 1 })",
                   "multi.textproto");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("multi.textproto: model.num_layers=0: expected 1 to 4095"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model.top_k=5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected at least one EXPERT chip"), std::string::npos) << msg;
  }
}

// tests/golden/bad/<case>.textproto must fail with a message containing <case>.expected.
class BadConfigTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadConfigTest, GivesItsExpectedMessage) {
  const fs::path dir = fs::path(MOEFAB_SOURCE_DIR) / "tests" / "golden" / "bad";
  const fs::path config = dir / (GetParam() + ".textproto");
  std::string expected = ReadFile(dir / (GetParam() + ".expected"));
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  const auto old = fs::current_path();
  fs::current_path(dir);  // messages name the file as given on the command line
  std::string message;
  try {
    MakePlan(LoadConfigFile(config.filename().string()));  // settings, then the plan
  } catch (const ConfigError& e) {
    message = e.what();
  }
  fs::current_path(old);
  ASSERT_FALSE(message.empty()) << config << " loaded without error";
  EXPECT_NE(message.find(expected), std::string::npos) << "message:\n"
                                                       << message << "\nexpected to contain:\n"
                                                       << expected;
}

std::vector<std::string> BadCases() {
  std::vector<std::string> cases;
  for (const auto& e : fs::directory_iterator(fs::path(MOEFAB_SOURCE_DIR) / "tests" / "golden" / "bad"))
    if (e.path().extension() == ".textproto") cases.push_back(e.path().stem().string());
  std::sort(cases.begin(), cases.end());
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Golden, BadConfigTest, ::testing::ValuesIn(BadCases()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace moefab
