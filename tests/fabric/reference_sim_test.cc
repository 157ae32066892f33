// A tiny single-threaded reference of the runtime's packet protocol, built only from the
// fabric API: a packet that arrives at router n at tick t is ready at t + router_delay; if n
// is its destination it is delivered then, else it goes out on RouteDor(n, dst) through
// SendOnLink and arrives at the neighbour at arrive_ps. Checks zero-load latency against the
// closed form over random pairs, and queueing of packets that share a link.
#include <gtest/gtest.h>

#include <functional>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "fabric/link.h"
#include "fabric/torus.h"
#include "core/rng.h"

namespace moefab::fabric {
namespace {

struct Packet {
  NodeId src;           // injecting node
  NodeId dst;           // destination node
  std::uint64_t bytes;  // size, bytes
  Tick inject_ps;       // arrival at the source router
};

struct Arrival {
  Tick tick_ps;        // tail arrives at `node`'s router
  std::uint64_t seq;   // tie-break: order of scheduling
  std::size_t packet;  // index into the packet list
  NodeId node;         // router reached
  bool operator>(const Arrival& o) const {
    return std::tie(tick_ps, seq) > std::tie(o.tick_ps, o.seq);
  }
};

class ReferenceSim {
 public:
  ReferenceSim(Torus torus, LinkParams params)
      : torus_(std::move(torus)), params_(params), links_(torus_.num_links()) {}

  /// Runs all packets to delivery; returns the delivery tick of each.
  std::vector<Tick> Run(const std::vector<Packet>& packets) {
    std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> events;
    std::uint64_t seq = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
      events.push({packets[i].inject_ps, seq++, i, packets[i].src});
    }
    std::vector<Tick> delivered(packets.size(), kTickMax);
    while (!events.empty()) {
      const Arrival a = events.top();
      events.pop();
      const Packet& p = packets[a.packet];
      const Tick ready_ps = a.tick_ps + params_.router_delay_ps;
      const PortId port = torus_.RouteDor(a.node, p.dst);
      if (port == kLocalPort) {
        delivered[a.packet] = ready_ps;
        continue;
      }
      const HopTiming hop =
          SendOnLink(links_[torus_.LinkIndex(a.node, port)], ready_ps, p.bytes, params_);
      events.push({hop.arrive_ps, seq++, a.packet, torus_.Neighbor(a.node, port)});
    }
    return delivered;
  }

  const LinkState& link(NodeId node, PortId port) const {
    return links_[torus_.LinkIndex(node, port)];
  }

 private:
  Torus torus_;                   // topology
  LinkParams params_;             // timing of every link
  std::vector<LinkState> links_;  // one per directed link, by LinkIndex
};

constexpr LinkParams kParams{
    .router_delay_ps = 250, .wire_latency_ps = 4000, .bandwidth_mbytes_per_s = 50000};

class ZeroLoadTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ZeroLoadTest, IsolatedPacketsMatchClosedForm) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  SplitMix64 rng(seed);
  const std::vector<std::vector<std::uint32_t>> shapes = {{5}, {8}, {4, 4}, {3, 5}, {2, 3, 4}};
  const auto& dims = shapes[rng.Next() % shapes.size()];
  const Torus torus = Torus::Make(dims);
  // Packets far apart in time never meet: each sees an idle fabric.
  std::vector<Packet> packets;
  for (int i = 0; i < 200; ++i) {
    packets.push_back(Packet{static_cast<NodeId>(rng.Next() % torus.num_nodes()),
                             static_cast<NodeId>(rng.Next() % torus.num_nodes()),
                             static_cast<std::uint64_t>(rng.Uniform(1, 8192)),
                             static_cast<Tick>(i) * 1'000'000'000ull});
  }
  ReferenceSim sim(torus, kParams);
  const auto delivered = sim.Run(packets);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const Packet& p = packets[i];
    const std::uint32_t hops = torus.HopCount(p.src, p.dst);
    EXPECT_LE(hops, torus.Diameter());
    EXPECT_EQ(delivered[i] - p.inject_ps, ZeroLoadLatencyPs(hops, p.bytes, kParams))
        << "packet " << i << " src " << p.src << " dst " << p.dst << " bytes " << p.bytes;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ZeroLoadTest, ::testing::Values(1, 2, 3, 42, 1234, 99991));

TEST(ReferenceSimTest, TwoPacketsOnTheSameLinkQueue) {
  const Torus ring = Torus::Make({8});
  ReferenceSim sim(ring, kParams);
  const std::uint64_t bytes = 1000;  // 20000 ps on the wire
  const Tick ser_ps = SerializationPs(bytes, kParams.bandwidth_mbytes_per_s);
  // Both injected at node 0 at tick 0 for node 2: they share links 0->1 and 1->2.
  const auto delivered = sim.Run({{0, 2, bytes, 0}, {0, 2, bytes, 0}});
  EXPECT_EQ(delivered[0], ZeroLoadLatencyPs(2, bytes, kParams));
  // The second waits one serialization time at the first link, then follows in lockstep.
  EXPECT_EQ(delivered[1], delivered[0] + ser_ps);
  EXPECT_EQ(sim.link(0, 0).packets, 2u);
  EXPECT_EQ(sim.link(0, 0).max_queue_delay_ps, ser_ps);
  EXPECT_EQ(sim.link(1, 0).max_queue_delay_ps, 0u);  // already spaced by ser_ps
  EXPECT_EQ(sim.link(0, 1).packets, 0u);             // the - link is unused
}

TEST(ReferenceSimTest, DifferentOutputPortsDoNotQueue) {
  const Torus ring = Torus::Make({8});
  ReferenceSim sim(ring, kParams);
  const auto delivered = sim.Run({{0, 1, 1000, 0}, {0, 7, 1000, 0}});  // + and - ways
  EXPECT_EQ(delivered[0], ZeroLoadLatencyPs(1, 1000, kParams));
  EXPECT_EQ(delivered[1], ZeroLoadLatencyPs(1, 1000, kParams));
}

}  // namespace
}  // namespace moefab::fabric
