// The model zoo (configs/models/*.textproto): each file parses as a moefab.config.Config, its
// model has the shapes of docs/REFERENCES.md (R-*-SHAPE, typed in below) and of its own
// Hugging Face config.json (configs/models/hf/, through ApplyHfConfig), its expert chips hold
// the model's expert weights (in total and per chip for the placement's slot count), its chip
// count equals the torus size, and it is a synthetic-routing ANALYTIC run with the run command
// in its top comment. (Running the zoo needs SYNTHETIC routing and ANALYTIC without weights in
// the loader; this test checks the files themselves.)
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "moefab.pb.h"
#include "runtime/config/hf_config.h"

namespace moefab {
namespace {

namespace fs = std::filesystem;
namespace pb = ::moefab::config;

struct Shape {
  uint32_t layers, d_model, width, experts, top_k, shared, dense_layers, dense_width;
  uint32_t heads, kv_heads, head_dim;
  pb::RouterRule router;
  pb::WeightFormat format;  // as shipped (MXFP4) or INT4
  uint32_t groups, topk_groups;
  double scaling;
};

// docs/REFERENCES.md R-*-SHAPE (L, d, I_e, I_d, E, k, S, MoE layers, attention, native
// format) and R-ROUTERS (routers). DeepSeek head_dim = qk_nope 128 + qk_rope 64.
const std::map<std::string, Shape> kReference = {
    {"mixtral-8x7b", {32, 4096, 14336, 8, 2, 0, 0, 0, 32, 8, 128, pb::SOFTMAX_TOPK_RENORM, pb::INT4, 0, 0, 0}},
    {"deepseek-v3", {58, 7168, 2048, 256, 8, 1, 3, 18432, 128, 128, 192, pb::SIGMOID_GROUP_TOPK, pb::INT4, 8, 4, 2.5}},
    {"qwen3-30b-a3b", {48, 2048, 768, 128, 8, 0, 0, 0, 32, 4, 128, pb::SOFTMAX_TOPK_RENORM, pb::INT4, 0, 0, 0}},
    {"gpt-oss-20b", {24, 2880, 2880, 32, 4, 0, 0, 0, 64, 8, 64, pb::TOPK_SOFTMAX, pb::MXFP4, 0, 0, 0}},
    {"gpt-oss-120b", {36, 2880, 2880, 128, 4, 0, 0, 0, 64, 8, 64, pb::TOPK_SOFTMAX, pb::MXFP4, 0, 0, 0}},
    {"llama-4-maverick", {24, 5120, 8192, 128, 1, 1, 24, 16384, 40, 8, 128, pb::TOP1_SIGMOID_INPUT, pb::INT4, 0, 0, 0}},
    {"olmoe-1b-7b", {16, 2048, 1024, 64, 8, 0, 0, 0, 16, 16, 128, pb::SOFTMAX_TOPK, pb::INT4, 0, 0, 0}},
    // From its config.json alone (model.hf_config): the shared expert of width 5632 = 4 x 1408.
    {"qwen1.5-moe-a2.7b", {24, 2048, 1408, 60, 4, 4, 0, 0, 16, 16, 128, pb::SOFTMAX_TOPK, pb::INT4, 0, 0, 0}},
};

fs::path ZooDir() {
  return fs::path(MOEFAB_SOURCE_DIR) / "configs" / "models";
}

// The nodes of a config's torus (OCS cubes: the cube grid times the nodes of one cube).
uint64_t TorusNodes(const pb::Config& c) {
  uint64_t torus = 1;
  for (uint32_t d : c.fabric().torus().dims()) torus *= d;
  if (c.fabric().torus().kind() == pb::OCS_CUBES)
    for (uint32_t d : c.fabric().torus().cube_dims()) torus *= d;
  return torus;
}

// The chips of a config as (sku, count) runs: its chip_groups, or its chip_pattern laid over
// the torus (one attention chip every nodes_per_attention nodes, the rest expert chips).
std::vector<pb::ChipGroup> ChipRuns(const pb::Config& c) {
  if (!c.has_chip_pattern()) return {c.chip_groups().begin(), c.chip_groups().end()};
  const uint64_t torus = TorusNodes(c);
  const auto& p = c.chip_pattern();
  std::vector<pb::ChipGroup> runs;
  for (uint64_t at = 0; at < torus; at += p.nodes_per_attention()) {
    runs.emplace_back().set_sku(p.attention_sku());
    runs.back().set_count(1);
    const uint64_t experts = std::min<uint64_t>(p.nodes_per_attention() - 1, torus - at - 1);
    if (experts == 0) continue;
    runs.emplace_back().set_sku(p.expert_sku());
    runs.back().set_count(static_cast<uint32_t>(experts));
  }
  return runs;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Collect : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber col, const std::string& m) override {
    text += std::to_string(line + 1) + ":" + std::to_string(col + 1) + ": " + m + "\n";
  }
  std::string text;
};

pb::Config Parse(const fs::path& p) {
  pb::Config c;
  Collect errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  EXPECT_TRUE(parser.ParseFromString(ReadFile(p), &c)) << p << "\n" << errors.text;
  // A model from its config.json (model.hf_config, relative to the config's folder): filled
  // as the loader fills it.
  if (!c.model().hf_config().empty())
    ApplyHfConfig((p.parent_path() / c.model().hf_config()).string(), *c.mutable_model());
  return c;
}

double BitsPerWeight(pb::WeightFormat f) {
  return f == pb::MXFP4 ? 4.25 : f == pb::INT3 ? 3.0 : 4.0;
}

// Benchmark configs that live beside the zoo (larger clusters of a zoo model, not 256-token
// runs): they parse, and their chip count equals the torus size.
const std::set<std::string> kBenchmarks = {"deepseek-v3-pod4096"};

// Published deployments of a zoo model on other hardware (README "Published deployment"):
// file -> the zoo file whose model it runs.
const std::map<std::string, std::string> kDeployments = {{"deepseek-v3-h800-decode", "deepseek-v3"}};

TEST(ZooTest, EveryModelFileIsInTheReferenceTable) {
  int files = 0;
  for (const auto& e : fs::directory_iterator(ZooDir())) {
    if (e.path().extension() != ".textproto") continue;
    if (kBenchmarks.count(e.path().stem().string()) || kDeployments.count(e.path().stem().string())) continue;
    ++files;
    EXPECT_TRUE(kReference.count(e.path().stem().string())) << e.path() << " has no row in kReference";
  }
  EXPECT_EQ(files, static_cast<int>(kReference.size()));
}

TEST(ZooTest, BenchmarkConfigsParseAndFillTheirTorus) {
  for (const std::string& name : kBenchmarks) {
    SCOPED_TRACE(name);
    const pb::Config c = Parse(ZooDir() / (name + ".textproto"));
    uint64_t chips = 0;
    for (const auto& g : ChipRuns(c)) chips += g.count();
    const uint64_t torus = TorusNodes(c);
    EXPECT_EQ(chips, torus);
    EXPECT_GT(torus, 1000u);
  }
}

TEST(ZooTest, DeploymentsRunTheZooModelOnChipsThatHoldIt) {
  for (const auto& [name, zoo] : kDeployments) {
    SCOPED_TRACE(name);
    const pb::Config c = Parse(ZooDir() / (name + ".textproto"));
    const pb::Config z = Parse(ZooDir() / (zoo + ".textproto"));
    EXPECT_EQ(c.model().DebugString(), z.model().DebugString()) << "the same model as " << zoo;
    EXPECT_EQ(c.workload().context_length(), z.workload().context_length());
    EXPECT_EQ(c.routing().DebugString(), z.routing().DebugString());
    std::map<std::string, const pb::ChipSku*> skus;
    for (const auto& s : c.skus()) skus[s.name()] = &s;
    uint64_t chips = 0, capacity = 0;
    for (const auto& g : ChipRuns(c)) {
      ASSERT_TRUE(skus.count(g.sku())) << g.sku();
      chips += g.count();
      const pb::ChipSku& s = *skus[g.sku()];
      if (s.kind() == pb::EXPERT) capacity += g.count() * s.weight_capacity_bits();
    }
    const uint64_t torus = TorusNodes(c);
    EXPECT_EQ(chips, torus);
    const auto& m = c.model();
    const double model_bits = 1.0 * m.num_layers() * (m.num_experts() + m.num_shared_experts()) * 3.0 *
                              m.d_model() * m.expert_width() * BitsPerWeight(m.weight_format());
    EXPECT_GE(static_cast<double>(capacity), model_bits);
    EXPECT_EQ(c.simulation().fidelity(), pb::ANALYTIC);
    const std::string text = ReadFile(ZooDir() / (name + ".textproto"));
    EXPECT_NE(text.find("moefab run configs/models/" + name + ".textproto"), std::string::npos);
  }
}

TEST(ZooTest, ShapesMatchTheReferenceAndTheHfConfig) {
  for (const auto& [name, x] : kReference) {
    SCOPED_TRACE(name);
    const pb::Config c = Parse(ZooDir() / (name + ".textproto"));
    const pb::Model& m = c.model();
    EXPECT_FALSE(m.name().empty());
    EXPECT_EQ(m.num_layers(), x.layers);
    EXPECT_EQ(m.d_model(), x.d_model);
    EXPECT_EQ(m.expert_width(), x.width);
    EXPECT_EQ(m.num_experts(), x.experts);
    EXPECT_EQ(m.top_k(), x.top_k);
    EXPECT_EQ(m.num_shared_experts(), x.shared);
    EXPECT_EQ(m.num_dense_layers(), x.dense_layers);
    EXPECT_EQ(m.dense_ffn_width(), x.dense_width);
    EXPECT_EQ(m.num_heads(), x.heads);
    EXPECT_EQ(m.num_kv_heads(), x.kv_heads);
    EXPECT_EQ(m.head_dim(), x.head_dim);
    EXPECT_EQ(m.router(), x.router);
    EXPECT_EQ(m.weight_format(), x.format);
    EXPECT_EQ(m.num_groups(), x.groups);
    EXPECT_EQ(m.topk_groups(), x.topk_groups);
    EXPECT_DOUBLE_EQ(m.routed_scaling(), x.scaling);
    EXPECT_EQ(m.activation(), x.router == pb::TOPK_SOFTMAX ? pb::SWIGLU_CLAMPED : pb::ACTIVATION_UNSPECIFIED);

    // The same model from its config.json: every field the import fills agrees.
    pb::Model hf;
    ApplyHfConfig((ZooDir() / "hf" / (name + ".json")).string(), hf);
    pb::Model mine = m;
    mine.clear_name();
    mine.clear_hf_config();
    hf.clear_name();
    if (hf.weight_format() == pb::WEIGHT_FORMAT_UNSPECIFIED) hf.set_weight_format(pb::INT4);
    if (hf.kv_bytes_per_token_layer() == 0) hf.set_kv_bytes_per_token_layer(m.kv_bytes_per_token_layer());
    EXPECT_EQ(mine.DebugString(), hf.DebugString());
  }
}

TEST(ZooTest, ExpertChipsHoldTheModelAndTheTorusHoldsTheChips) {
  for (const auto& [name, x] : kReference) {
    SCOPED_TRACE(name);
    const pb::Config c = Parse(ZooDir() / (name + ".textproto"));
    std::map<std::string, const pb::ChipSku*> skus;
    for (const auto& s : c.skus()) skus[s.name()] = &s;
    uint64_t chips = 0, expert_chips = 0, attention_chips = 0, capacity = ~0ull;
    for (const auto& g : ChipRuns(c)) {
      ASSERT_TRUE(skus.count(g.sku())) << g.sku();
      const pb::ChipSku& s = *skus[g.sku()];
      chips += g.count();
      if (s.kind() == pb::EXPERT) {
        expert_chips += g.count();
        ASSERT_GT(s.weight_capacity_bits(), 0u) << "expert chips must state their capacity";
        capacity = std::min<uint64_t>(capacity, s.weight_capacity_bits());
      } else {
        EXPECT_EQ(s.kind(), pb::ATTENTION);
        attention_chips += g.count();
      }
    }
    EXPECT_EQ(c.chips_size(), 0) << "the zoo uses chip_pattern";
    EXPECT_TRUE(c.has_chip_pattern()) << "the zoo's chips follow the torus (sweeps over fabric.torus.dims)";
    const uint64_t torus = TorusNodes(c);
    EXPECT_EQ(chips, torus);
    EXPECT_GE(attention_chips, 1u);
    ASSERT_GE(expert_chips, 1u);

    const double bpw = BitsPerWeight(c.model().weight_format());
    const double per_expert = 3.0 * x.d_model * x.width * bpw;
    const double model_bits = static_cast<double>(x.layers) * (x.experts + x.shared) * per_expert;
    EXPECT_GE(static_cast<double>(capacity) * static_cast<double>(expert_chips), model_bits);
    // Per chip: an even share of the placement's slots must fit one chip (round-robin spreads
    // them within one; load-balanced packing is limited by the capacity in the loader).
    const uint64_t slots = uint64_t{x.layers} * (x.experts + x.shared + c.placement().extra_replicas_per_layer());
    const uint64_t per_chip = (slots + expert_chips - 1) / expert_chips;
    EXPECT_LE(static_cast<double>(per_chip) * per_expert, static_cast<double>(capacity))
        << per_chip << " slots of " << per_expert << " bits";
    EXPECT_TRUE(c.placement().strategy() == pb::LOAD_BALANCED || c.placement().strategy() == pb::ROUND_ROBIN);
    if (c.placement().strategy() == pb::ROUND_ROBIN) {
      EXPECT_EQ(c.placement().extra_replicas_per_layer(), 0u);
    }
  }
}

TEST(ZooTest, SyntheticAnalyticRunsWithTheRunCommandOnTop) {
  for (const auto& [name, x] : kReference) {
    SCOPED_TRACE(name);
    const std::string text = ReadFile(ZooDir() / (name + ".textproto"));
    const pb::Config c = Parse(ZooDir() / (name + ".textproto"));
    EXPECT_EQ(c.routing().source(), pb::SYNTHETIC);
    EXPECT_EQ(c.simulation().fidelity(), pb::ANALYTIC);
    EXPECT_TRUE(c.simulation().skip_golden_check());
    EXPECT_EQ(c.workload().num_tokens(), 256u);
    EXPECT_GE(c.workload().concurrency(), 1u);
    EXPECT_GT(c.workload().context_length(), 0u);
    EXPECT_EQ(c.fabric().link_bandwidth_mbytes_per_s(), 50000u);  // TPU v4 ICI
    const size_t first_setting = text.find("\nmodel {");
    ASSERT_NE(first_setting, std::string::npos);
    EXPECT_NE(text.substr(0, first_setting).find("moefab run configs/models/" + name + ".textproto"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace moefab
