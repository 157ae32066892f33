// MoE utilisation: hand-computed etched-weight use and MAC-lane utilisation of two expert
// chips and an HBM chip (left out), and a whole tiny run whose overall weight use is top_k / E.
#include "runtime/results/utilisation.h"

#include <gtest/gtest.h>

#include "chips/area/area_model.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

TEST(UtilisationTest, HandComputed) {
  RunOptions o;
  o.model.d_model = 4;
  o.model.expert_width = 8;  // 96 weights per expert
  SkuOptions attn, hx, hbm;
  attn.kind = ChipKind::kAttention;
  hx.kind = ChipKind::kExpert;
  hx.mac_lanes = 4;
  hx.clock.period_ps = 1000;
  hx.transistors_per_mm2 = 1e8;
  hbm = hx;
  hbm.memory_weights = true;
  o.skus = {attn, hx, hbm};
  std::vector<ChipRecord> chips(4);
  chips[0] = {0, 0, 0, 0, 0, 0, 0};
  chips[1] = {1, 1, 0, 10, 2, 0, 0};  // 2 slots, 10 jobs
  chips[2] = {2, 1, 0, 30, 4, 0, 0};  // 4 slots, 30 jobs
  chips[3] = {3, 2, 0, 50, 4, 0, 0};  // HBM: not etched
  const Utilisation u = ComputeUtilisation(o, chips, 5, 100000.0);  // 5 tokens, 100 cycles
  ASSERT_EQ(u.chips.size(), 2u);
  EXPECT_EQ(u.chips[0].node, 1u);
  EXPECT_EQ(u.chips[0].etched_weights, 192u);
  EXPECT_DOUBLE_EQ(u.chips[0].weights_used_per_token, 10.0 * 96 / 5);
  EXPECT_DOUBLE_EQ(u.chips[0].weight_use_fraction, 2.0 / 2);  // 2 jobs per token of 2 slots
  EXPECT_DOUBLE_EQ(u.chips[0].mac_lane_utilisation, 10.0 * 96 / (2 * 3 * 4 * 100));
  EXPECT_DOUBLE_EQ(u.chips[1].weight_use_fraction, 6.0 / 4);
  EXPECT_EQ(u.etched_weights, 6u * 96);
  EXPECT_DOUBLE_EQ(u.weight_use_fraction, 8.0 / 6);
  EXPECT_DOUBLE_EQ(u.mac_lane_utilisation, 40.0 * 96 / (6 * 3 * 4 * 100));
  // Area: one modelled engine per slot, at the SKU's density; the HBM chip has none.
  const double engine = chips::area::ModelEngineArea(EngineConfigOf(o.model, hx)).transistors;
  ASSERT_GT(engine, 0.0);
  ASSERT_EQ(u.skus.size(), 1u);
  EXPECT_EQ(u.skus[0].sku, 1u);
  EXPECT_DOUBLE_EQ(u.skus[0].engine_transistors, engine);
  EXPECT_DOUBLE_EQ(u.chips[0].transistors, 2 * engine);
  EXPECT_DOUBLE_EQ(u.chips[1].transistors, 4 * engine);
  EXPECT_DOUBLE_EQ(u.chips[1].die_mm2, 4 * engine / 1e8);
  EXPECT_DOUBLE_EQ(u.transistors, 6 * engine);
  EXPECT_DOUBLE_EQ(u.die_mm2, 6 * engine / 1e8);
  EXPECT_DOUBLE_EQ(u.transistors_per_etched_weight, 6 * engine / (6.0 * 96));
}

TEST(UtilisationTest, TinyRunUsesTopKOfTheExperts) {
  const RunOptions o = LoadConfigFile(std::string(MOEFAB_SOURCE_DIR) + "/configs/tiny.textproto");
  LoopbackTransport t;
  const auto out = Simulate(o, t, Logger("runtime"));
  const std::string json = ResultsJson(o, out);
  const auto at = json.find("\"utilisation\"");
  ASSERT_NE(at, std::string::npos);
  // tiny: 2 layers x 8 experts, top-2, no drops: every token uses 2 / 8 of the etched weights.
  EXPECT_NE(json.find("\"weight_use_fraction\": 0.25,", at), std::string::npos) << json.substr(at, 400);
  EXPECT_NE(json.find("\"mac_lane_utilisation\"", at), std::string::npos);
  EXPECT_NE(json.find("\"engine_transistors\"", at), std::string::npos);
  EXPECT_NE(json.find("\"die_mm2\"", at), std::string::npos);
}

}  // namespace
}  // namespace moefab
