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
