// The first fabric model's closed forms, checked on Network. That model (removed) sent each
// packet store-and-forward through an output-queued link per hop: ready at a router
// `router_delay` after its tail arrived, out on the DOR port when the link was free, on the
// wire for its serialization time plus the wire latency. Network in store-and-forward mode
// with 1-byte flits, no header and an MTU above the message reproduces it: a message of B bytes
// over H hops takes H (router + ser(B) + wire) + router at zero load, and two packets that
// share an output leave one serialization time apart. Checked over random pairs and sizes.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/rng.h"
#include "fabric/driver.h"
#include "fabric/network.h"
#include "fabric/serialization.h"
#include "fabric/torus.h"

namespace moefab::fabric {
namespace {

constexpr Tick kRouterPs = 250;
constexpr Tick kWirePs = 4000;
constexpr std::uint64_t kBandwidth = 50000;  // MB/s: 20 ps per byte
constexpr std::uint32_t kMaxBytes = 8192;

TopologyOptions Ring(std::vector<std::uint32_t> dims) {
  TopologyOptions o;
  o.dims = std::move(dims);
  o.link = {kBandwidth, kWirePs};
  return o;
}

// The first model's timing: whole messages, store-and-forward, serialization of the payload only.
NetworkOptions FirstModel() {
  NetworkOptions o;
  o.router_delay_ps = kRouterPs;
  o.flit_bytes = 1;
  o.header_bytes = 0;
  o.mtu_bytes = kMaxBytes;
  o.flow_control = FlowControl::kStoreAndForward;
  return o;
}

// The first model's zero-load latency: hops * (router + ser + wire) + router (the ejection).
Tick FirstModelLatencyPs(std::uint32_t hops, std::uint64_t bytes) {
  return hops * (kRouterPs + SerializationPs(bytes, kBandwidth) + kWirePs) + kRouterPs;
}

// Delivery tick of each message by tag.
std::map<std::uint64_t, Tick> RunFromZero(Network& net, const std::vector<MessageSpec>& at_zero) {
  SequentialDriver driver(net);
  std::map<std::uint64_t, Tick> delivered;
  driver.OnDeliver([&](DeliveredMessage& m) { delivered[m.tag] = m.delivered_ps; });
  for (const MessageSpec& m : at_zero) driver.Inject(m);
  driver.RunToIdle();
  return delivered;
}

class FirstModelZeroLoad : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(FirstModelZeroLoad, IsolatedMessagesMatchTheFirstModelsClosedForm) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  SplitMix64 rng(seed);
  const std::vector<std::vector<std::uint32_t>> shapes = {{5}, {8}, {4, 4}, {3, 5}, {2, 3, 4}};
  const auto& dims = shapes[rng.Next() % shapes.size()];
  auto net = Network::Make(Ring(dims), FirstModel());
  const Torus torus = Torus::Make(dims);
  SequentialDriver driver(*net);
  std::map<std::uint64_t, Tick> delivered;
  driver.OnDeliver([&](DeliveredMessage& m) { delivered[m.tag] = m.delivered_ps - m.injected_ps; });
  std::vector<MessageSpec> sent;
  for (std::uint64_t i = 0; i < 200; ++i) {
    driver.RunUntil(i * 1'000'000'000ull);  // far apart: each message sees an idle fabric
    const MessageSpec m{static_cast<NodeId>(rng.Next() % net->num_nodes()),
                        static_cast<NodeId>(rng.Next() % net->num_nodes()),
                        static_cast<std::uint64_t>(rng.Uniform(1, kMaxBytes)), i, nullptr};
    driver.Inject(m);
    sent.push_back(m);
  }
  driver.RunToIdle();
  ASSERT_EQ(delivered.size(), sent.size());
  for (const MessageSpec& m : sent) {
    const std::uint32_t hops = torus.HopCount(m.src, m.dst);
    EXPECT_EQ(net->Hops(m.src, m.dst), hops);
    EXPECT_EQ(delivered[m.tag], FirstModelLatencyPs(hops, m.bytes))
        << "message " << m.tag << " src " << m.src << " dst " << m.dst << " bytes " << m.bytes;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, FirstModelZeroLoad, ::testing::Values(1, 2, 3, 42, 1234, 99991));

TEST(FirstModelTest, TwoPacketsOnTheSameLinkQueue) {
  auto net = Network::Make(Ring({8}), FirstModel());
  const std::uint64_t bytes = 1000;  // 20000 ps on the wire
  const Tick ser_ps = SerializationPs(bytes, kBandwidth);
  // Both injected at node 0 at tick 0 for node 2: they share links 0->1 and 1->2.
  const auto delivered = RunFromZero(*net, {{0, 2, bytes, 0, nullptr}, {0, 2, bytes, 1, nullptr}});
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered.at(0), FirstModelLatencyPs(2, bytes));
  // The second waits one serialization time at the first link, then follows in lockstep.
  EXPECT_EQ(delivered.at(1), delivered.at(0) + ser_ps);
  std::map<std::string, LinkStats> links;
  for (const LinkStats& l : net->LinkReport()) links[Topology::PortName(l.src, l.port)] = l;
  EXPECT_EQ(links["0:+x"].packets, 2u);
  EXPECT_EQ(links["0:+x"].busy_ps, 2 * ser_ps);
  EXPECT_EQ(links["0:+x"].peak_waiting_packets, 1u);  // the second waited for the first
  EXPECT_EQ(links["1:+x"].peak_waiting_packets, 0u);  // already spaced by ser_ps
  EXPECT_EQ(links["0:-x"].packets, 0u);               // the - link is unused
}

TEST(FirstModelTest, DifferentOutputPortsDoNotQueue) {
  auto net = Network::Make(Ring({8}), FirstModel());
  // Node 0 to its + and its - neighbour.
  const auto delivered = RunFromZero(*net, {{0, 1, 1000, 0, nullptr}, {0, 7, 1000, 1, nullptr}});
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered.at(0), FirstModelLatencyPs(1, 1000));
  EXPECT_EQ(delivered.at(1), FirstModelLatencyPs(1, 1000));
}

}  // namespace
}  // namespace moefab::fabric
