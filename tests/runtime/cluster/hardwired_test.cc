// HARDWIRED chips in a whole run: per-expert engines generated with the weights as RTL
// constants and built on demand give the same bits and the same timing as the ROM style.
#include <filesystem>

#include <gtest/gtest.h>

#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

RunOptions Config(const char* style, const std::string& cache) {
  return LoadConfigText(std::string(R"(
    model { num_layers: 1 d_model: 32 expert_width: 64 num_experts: 2 top_k: 1 weight_seed: 4 }
    skus { name: "a" kind: ATTENTION }
    skus { name: "e" kind: EXPERT mac_lanes: 8 weight_style: )") +
                            style + R"( }
    fabric { torus { dims: [3] } }
    chips { sku: "a" } chips { sku: "e" } chips { sku: "e" }
    workload { num_tokens: 10 concurrency: 3 }
    simulation { build_cache: ")" +
                            cache + R"(" })",
                        style);
}

TEST(HardwiredRunTest, SameBitsAndTicksAsRom) {
  const auto cache = std::filesystem::temp_directory_path() / "moefab_hardwired_run_cache";
  LoopbackTransport t;
  const RunOptions rom = Config("ROM", cache.string());
  const RunOptions hw = Config("HARDWIRED", cache.string());
  const auto a = Simulate(rom, t, Logger("runtime"));
  const auto b = Simulate(hw, t, Logger("runtime"));
  EXPECT_TRUE(a.golden.match);
  EXPECT_TRUE(b.golden.match);
  ASSERT_EQ(a.merged.tokens.size(), b.merged.tokens.size());
  for (size_t i = 0; i < a.merged.tokens.size(); ++i) {
    EXPECT_EQ(a.merged.tokens[i].end_ps, b.merged.tokens[i].end_ps) << "token " << i;
    EXPECT_EQ(a.merged.tokens[i].final_h, b.merged.tokens[i].final_h) << "token " << i;
  }
  EXPECT_GT(b.merged.rtl_cycles_simulated, 0u);
  std::filesystem::remove_all(cache);
}

}  // namespace
}  // namespace moefab
