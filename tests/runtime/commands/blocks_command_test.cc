// `moefab blocks`: block-library statistics of a config's expert weights, from a safetensors
// file written here (every block of 4 a permutation of one pattern: a library of one entry)
// and from synthetic weights (many entries, under the bound); a bad config is a ConfigError.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chips/numerics/safetensors.h"
#include "core/error.h"
#include "runtime/commands/commands.h"

namespace moefab {
namespace {

namespace fs = std::filesystem;

// Rows of (1, -1, 0.5, 0) with the block's pattern rotated by (row + block) % 4.
std::vector<float> Pattern(std::uint32_t rows, std::uint32_t cols) {
  const float p[4] = {1.0f, -1.0f, 0.5f, 0.0f};
  std::vector<float> w(std::size_t{rows} * cols);
  for (std::uint32_t r = 0; r < rows; ++r)
    for (std::uint32_t c = 0; c < cols; ++c) w[std::size_t{r} * cols + c] = p[(c + r + c / 4) % 4];
  return w;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The line of `scope` (e.g. "layer 0 all"), format and block size, split into words.
std::vector<std::string> Line(const std::string& text, const std::string& scope, const std::string& format,
                              const std::string& n) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(scope + " ", 0) != 0) continue;
    std::istringstream words(line.substr(scope.size()));
    std::vector<std::string> v;
    for (std::string w; words >> w;) v.push_back(w);
    if (v.size() > 2 && v[0] == format && v[1] == n) return v;  // format n blocks distinct bound ..
  }
  return {};
}

class BlocksCommandTest : public ::testing::Test {
 protected:
  fs::path dir_ = fs::temp_directory_path() / ("moefab_blocks_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string WriteConfig(const std::string& model) {
    const fs::path p = dir_ / "c.textproto";
    std::ofstream(p) << "model { " << model << " }\n"
                     << R"(skus { name: "a" kind: ATTENTION } skus { name: "e" kind: EXPERT }
                           fabric { torus { dims: [3] } }
                           chips { sku: "a" } chips { sku: "e" } chips { sku: "e" }
                           workload { num_tokens: 4 })";
    return p.string();
  }
};

TEST_F(BlocksCommandTest, SafetensorsWeightsOfOnePatternMakeALibraryOfOneEntry) {
  std::vector<chips::TensorToWrite> tensors;
  tensors.push_back(chips::F32Tensor("L.0.gate.weight", {4, 64}, std::vector<float>(4 * 64, 0.01f)));
  for (std::uint32_t e = 0; e < 4; ++e) {
    const std::string q = "L.0.experts." + std::to_string(e) + ".";
    tensors.push_back(chips::F32Tensor(q + "gate_proj.weight", {128, 64}, Pattern(128, 64)));
    tensors.push_back(chips::F32Tensor(q + "up_proj.weight", {128, 64}, Pattern(128, 64)));
    tensors.push_back(chips::F32Tensor(q + "down_proj.weight", {64, 128}, Pattern(64, 128)));
  }
  const fs::path weights = dir_ / "w.safetensors";
  chips::WriteSafetensors(weights.string(), tensors);
  const std::string config = WriteConfig(
      "num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 2 weights { safetensors: \"" +
      weights.string() + "\" layout: FLOAT_NAMED tensor_prefix: \"L.\" }");
  ASSERT_EQ(BlocksCommand({config, (dir_ / "out").string(), ""}), 0);
  const std::string text = Read(dir_ / "out" / "blocks.txt");
  for (const char* f : {"INT3", "INT4", "MXFP4"}) {
    const auto v = Line(text, "layer 0 all", f, "4");
    ASSERT_GE(v.size(), 5u) << f << "\n" << text;
    EXPECT_EQ(v[2], std::to_string(3 * 128 * 64 / 4 * 4)) << f;  // blocks of the 4 experts
    EXPECT_EQ(v[3], "1") << f << ": one sorted block\n" << text;
  }
  EXPECT_EQ(Line(text, "layer 0 gate", "INT3", "4")[4], "330");
}

TEST_F(BlocksCommandTest, SyntheticWeightsFillPartOfTheBound) {
  const std::string config =
      WriteConfig("num_layers: 1 d_model: 64 expert_width: 128 num_experts: 4 top_k: 2 weight_seed: 3");
  ASSERT_EQ(BlocksCommand({config, (dir_ / "out").string(), ""}), 0);
  const std::string text = Read(dir_ / "out" / "blocks.txt");
  const auto v = Line(text, "layer 0 all", "INT3", "4");
  ASSERT_GE(v.size(), 5u) << text;
  EXPECT_GT(std::stoi(v[3]), 100);
  EXPECT_LE(std::stoi(v[3]), 330);
  EXPECT_THROW(BlocksCommand({(dir_ / "missing.textproto").string(), "", ""}), ConfigError);
}

}  // namespace
}  // namespace moefab
