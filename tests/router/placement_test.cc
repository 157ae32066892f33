// Placement: round-robin distribution, SlotsOn, validation messages, nearest-replica choice.
#include "router/placement.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace moefab::router {
namespace {

TEST(PlacementTest, RoundRobinDistributesInOrder) {
  const std::vector<NodeId> nodes = {7, 2, 5};
  const Placement p = RoundRobinPlacement(2, 4, nodes);
  EXPECT_EQ(p.num_layers, 2u);
  EXPECT_EQ(p.num_experts, 4u);
  ASSERT_EQ(p.replicas.size(), 8u);
  // flat i -> nodes[i % 3]: 7 2 5 7 | 2 5 7 2
  const std::vector<NodeId> expected = {7, 2, 5, 7, 2, 5, 7, 2};
  for (std::uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(p.Replicas(i / 4, i % 4), (std::vector<NodeId>{expected[i]})) << "flat " << i;
  }
  EXPECT_NO_THROW(ValidatePlacement(p, nodes));
}

TEST(PlacementTest, RoundRobinIsBalancedWithinOne) {
  std::vector<NodeId> nodes;
  for (NodeId n = 10; n < 23; ++n) nodes.push_back(n);
  const Placement p = RoundRobinPlacement(5, 64, nodes);
  std::map<NodeId, std::size_t> count;
  for (NodeId n : nodes) count[n] = p.SlotsOn(n).size();
  std::size_t lo = ~std::size_t{0}, hi = 0, total = 0;
  for (const auto& [n, c] : count) {
    lo = std::min(lo, c);
    hi = std::max(hi, c);
    total += c;
  }
  EXPECT_EQ(total, 5u * 64u);
  EXPECT_LE(hi - lo, 1u);
  EXPECT_TRUE(p.SlotsOn(0).empty());
}

TEST(PlacementTest, SlotsOnListsPairsByFlatIndex) {
  Placement p{2, 3, {{1}, {1, 4}, {4}, {4, 1}, {2}, {1}}};
  EXPECT_EQ(p.SlotsOn(1), (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 0}, {0, 1}, {1, 0}, {1, 2}}));
  EXPECT_EQ(p.SlotsOn(4), (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {0, 2}, {1, 0}}));
  EXPECT_EQ(p.Replicas(1, 0), (std::vector<NodeId>{4, 1}));
}

TEST(PlacementTest, RoundRobinRejectsEmptyInputs) {
  const std::vector<NodeId> none;
  const std::vector<NodeId> one = {0};
  EXPECT_THROW((void)RoundRobinPlacement(1, 4, none), ConfigError);
  EXPECT_THROW((void)RoundRobinPlacement(0, 4, one), ConfigError);
  EXPECT_THROW((void)RoundRobinPlacement(1, 0, one), ConfigError);
}

std::string ValidationMessage(const Placement& p, const std::vector<NodeId>& nodes) {
  try {
    ValidatePlacement(p, nodes);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PlacementTest, ValidateNamesLayerExpertAndNode) {
  const std::vector<NodeId> nodes = {1, 4};
  const Placement p{2, 3, {{1}, {}, {4}, {4, 9}, {1}, {8}}};
  const std::string msg = ValidationMessage(p, nodes);
  EXPECT_NE(msg.find("3 placement errors:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("placement: layer 0 expert 1: no replica; expected >= 1 expert chip"), std::string::npos) << msg;
  EXPECT_NE(msg.find("placement: layer 1 expert 0: node 9 is not an expert chip"), std::string::npos) << msg;
  EXPECT_NE(msg.find("placement: layer 1 expert 2: node 8 is not an expert chip"), std::string::npos) << msg;
}

TEST(PlacementTest, ValidateChecksEntryCount) {
  const std::vector<NodeId> nodes = {0};
  const Placement p{2, 2, {{0}, {0}, {0}}};
  const std::string msg = ValidationMessage(p, nodes);
  EXPECT_NE(msg.find("replicas has 3 entries; expected 4 (num_layers=2 x num_experts=2)"), std::string::npos) << msg;
}

TEST(PlacementTest, ValidateCapsTheListOfErrors) {
  const std::vector<NodeId> nodes = {0};
  Placement p{1, 30, std::vector<std::vector<NodeId>>(30)};
  const std::string msg = ValidationMessage(p, nodes);
  EXPECT_NE(msg.find("30 placement errors:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("... and 10 more"), std::string::npos) << msg;
}

TEST(PlacementTest, NearestReplicaPicksFewestHops) {
  // Hops on a line: |a - b|.
  const auto line = [](NodeId a, NodeId b) { return static_cast<std::uint32_t>(a > b ? a - b : b - a); };
  const std::vector<NodeId> reps = {9, 2, 6};
  EXPECT_EQ(ChooseNearestReplica(reps, 0, line), 2u);
  EXPECT_EQ(ChooseNearestReplica(reps, 8, line), 9u);
  EXPECT_EQ(ChooseNearestReplica(reps, 6, line), 6u);
}

TEST(PlacementTest, NearestReplicaTieGoesToLowestNodeId) {
  const auto line = [](NodeId a, NodeId b) { return static_cast<std::uint32_t>(a > b ? a - b : b - a); };
  // Home 4: nodes 6 and 2 are both 2 hops away; 2 wins regardless of list order.
  EXPECT_EQ(ChooseNearestReplica(std::vector<NodeId>{6, 2}, 4, line), 2u);
  EXPECT_EQ(ChooseNearestReplica(std::vector<NodeId>{2, 6}, 4, line), 2u);
  const auto flat = [](NodeId, NodeId) { return 1u; };
  EXPECT_EQ(ChooseNearestReplica(std::vector<NodeId>{11, 5, 8}, 0, flat), 5u);
}

}  // namespace
}  // namespace moefab::router
