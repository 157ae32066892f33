// Placement strategies and replica choice: balance, locality, capacity, determinism.
#include "router/placement_strategies.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/error.h"
#include "router/replica_choice.h"

namespace moefab::router {
namespace {

// A ring of n nodes: hops = min(|a-b|, n-|a-b|).
HopFn Ring(uint32_t n) {
  return [n](NodeId a, NodeId b) {
    const uint32_t d = a > b ? a - b : b - a;
    return std::min(d, n - d);
  };
}

TEST(PlacementStrategiesTest, LayerBlockedKeepsLayersTogether) {
  const std::vector<NodeId> chips = {1, 2, 3, 4};
  const auto p = LayerBlockedPlacement(4, 8, chips);  // 32 slots, 8 per chip = one layer each
  for (uint32_t l = 0; l < 4; ++l)
    for (uint32_t e = 0; e < 8; ++e) EXPECT_EQ(p.Replicas(l, e), std::vector<NodeId>{chips[l]});
}

TEST(PlacementStrategiesTest, LoadBalancedReplicatesTheHotExpertAndEvensTheChips) {
  // One layer, 4 experts, expert 2 is 5x hotter; 2 extra slots; 3 chips x 2 slots.
  const ExpertLoad load = {1, 1, 5, 1};
  const std::vector<NodeId> chips = {10, 11, 12};
  const auto p = LoadBalancedPlacement(1, 4, load, 2, chips, 2);
  EXPECT_EQ(p.Replicas(0, 2).size(), 3u) << "both extra slots go to the hot expert";
  const auto m = MeasurePlacement(p, load, chips, std::vector<NodeId>{0}, Ring(16), 100);
  EXPECT_EQ(m.chips_used, 3u);
  EXPECT_EQ(m.max_slots, 2u);
  EXPECT_NEAR(m.max_load, 8.0 / 3.0, 1e-9) << "5/3 + 1 on every chip";
  // Without replicas the hottest chip carries the hot expert alone or more.
  const auto plain =
      MeasurePlacement(RoundRobinPlacement(1, 4, chips), load, chips, std::vector<NodeId>{0}, Ring(16), 100);
  EXPECT_GT(plain.max_load, m.max_load);
}

TEST(PlacementStrategiesTest, LoadBalancedRefusesTooFewSlots) {
  try {
    LoadBalancedPlacement(2, 8, ExpertLoad(16, 1.0), 4, std::vector<NodeId>{1, 2}, 10);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("needs 24 expert slots but 2 expert chips x 10 slots hold only 20"),
              std::string::npos)
        << e.what();
  }
}

TEST(PlacementStrategiesTest, TopologyAwarePutsHotExpertsNearTheHomes) {
  // Ring of 16; attention chip at 0; expert chips at 1..15; 15 experts, one slot each.
  std::vector<NodeId> chips;
  for (NodeId n = 1; n < 16; ++n) chips.push_back(n);
  ExpertLoad load(15);
  for (uint32_t e = 0; e < 15; ++e) load[e] = 15.0 - e;  // expert 0 hottest
  const auto p = TopologyAwarePlacement(1, 15, load, chips, std::vector<NodeId>{0}, 1, Ring(16));
  EXPECT_EQ(Ring(16)(0, p.Replicas(0, 0)[0]), 1u);
  EXPECT_EQ(Ring(16)(0, p.Replicas(0, 14)[0]), 8u) << "the coldest is farthest";
  const auto aware = MeasurePlacement(p, load, chips, std::vector<NodeId>{0}, Ring(16), 1);
  const auto rr = MeasurePlacement(RoundRobinPlacement(1, 15, chips), load, chips, std::vector<NodeId>{0}, Ring(16), 1);
  EXPECT_LT(aware.expected_hops, rr.expected_hops);
}

TEST(ReplicaChoiceTest, PoliciesPickAsDocumented) {
  const std::vector<NodeId> reps = {7, 3, 5};
  ReplicaChooser nearest(ReplicaPolicy::kNearest, 4, Ring(8));
  EXPECT_EQ(nearest.Choose(0, reps), 3u);  // 3 and 5 are 1 hop; lower id wins
  ReplicaChooser rr(ReplicaPolicy::kRoundRobin, 4, Ring(8));
  EXPECT_EQ(rr.Choose(0, reps), 3u);
  EXPECT_EQ(rr.Choose(0, reps), 5u);
  EXPECT_EQ(rr.Choose(0, reps), 7u);
  EXPECT_EQ(rr.Choose(0, reps), 3u);
  EXPECT_EQ(rr.Choose(1, reps), 3u) << "per-expert cycle";
  ReplicaChooser least(ReplicaPolicy::kLeastLoaded, 4, Ring(8));
  EXPECT_EQ(least.Choose(0, reps), 3u);
  EXPECT_EQ(least.Choose(0, reps), 5u) << "3 has one outstanding job";
  EXPECT_EQ(least.Choose(0, reps), 7u);
  least.Completed(5);
  EXPECT_EQ(least.Choose(0, reps), 5u);
}

}  // namespace
}  // namespace moefab::router
