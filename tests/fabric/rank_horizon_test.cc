// What the fabric tells a parallel engine about a cut between ranks (network.h, TrackRanks):
// the smallest delay of a packet over the cut, and each node's slack (how long after a window
// end nothing from another rank can reach it), from the topology alone.
#include <gtest/gtest.h>

#include <vector>

#include "fabric/network.h"
#include "fabric/serialization.h"

namespace moefab::fabric {
namespace {

TopologyOptions Ring(std::uint32_t n) {
  TopologyOptions o;
  o.kind = TopologyKind::kTorus;
  o.dims = {n};
  o.link = {50000, 4000};  // 50 GB/s, 4 ns
  return o;
}

NetworkOptions Options() {
  NetworkOptions o;
  o.router_delay_ps = 2500;
  o.flit_bytes = 64;
  o.header_bytes = 16;
  o.mtu_bytes = 512;
  return o;
}

// Nodes [0, n/2) on rank 0, the rest on rank 1.
std::vector<RankId> Halves(std::uint32_t n) {
  std::vector<RankId> owner(n);
  for (NodeId i = 0; i < n; ++i) owner[i] = i < n / 2 ? 0 : 1;
  return owner;
}

TEST(RankHorizonTest, LookaheadIsWireFlitAndRouterOverTheCut) {
  auto net = Network::Make(Ring(16), Options());
  net->TrackRanks(Halves(16), 0);
  EXPECT_EQ(net->CrossRankLookaheadPs(), 4000 + SerializationPs(64, 50000) + 2500);
  EXPECT_EQ(net->PacketLookaheadPs(1), net->CrossRankLookaheadPs());
}

TEST(RankHorizonTest, SlackGrowsWithTheDistanceFromTheCut) {
  auto net = Network::Make(Ring(16), Options());
  net->TrackRanks(Halves(16), 0);
  const std::vector<Tick> slack = net->CrossRankSlackPs();
  ASSERT_EQ(slack.size(), 16u);
  const Tick hop = net->MinCrossNodeDelayPs();
  ASSERT_GT(hop, 0u);
  // Rank 0 holds 0..7 of a ring: 0 and 7 touch rank 1 (no slack); 3 and 4 are four hops away.
  const std::vector<std::uint32_t> hops = {1, 2, 3, 4, 4, 3, 2, 1};
  for (NodeId n = 0; n < 8; ++n) EXPECT_EQ(slack[n], (hops[n] - 1) * hop) << "node " << n;
  // Another rank's nodes get none.
  for (NodeId n = 8; n < 16; ++n) EXPECT_EQ(slack[n], 0u) << "node " << n;
}

TEST(RankHorizonTest, NoSlackWhenEveryNodeTouchesTheCut) {
  auto net = Network::Make(Ring(4), Options());
  net->TrackRanks(Halves(4), 1);
  for (Tick s : net->CrossRankSlackPs()) EXPECT_EQ(s, 0u);
}

TEST(RankHorizonTest, ASingleRankHasNoCut) {
  auto net = Network::Make(Ring(8), Options());
  net->TrackRanks(std::vector<RankId>(8, 0), 0);
  EXPECT_EQ(net->CrossRankLookaheadPs(), kTickMax);
  // Nothing can reach a node from another rank: no slack is needed (none is given).
  for (Tick s : net->CrossRankSlackPs()) EXPECT_EQ(s, 0u);
}

}  // namespace
}  // namespace moefab::fabric
