// The router model: zero-load latency (VCT and SAF) against the closed form, MTU split and
// reassembly of real bytes, credits conserved and nothing left behind, deadlock freedom with
// minimal buffers, the watchdog on a deadlock-prone ring, and the event API (lookahead,
// cross-rank form). Every run goes through SequentialDriver, which checks that each event for
// another node is at least MinCrossNodeDelayPs ahead.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "fabric/driver.h"
#include "fabric/network.h"

namespace moefab::fabric {
namespace {

TopologyOptions Shape(std::vector<std::uint32_t> dims, TopologyKind kind = TopologyKind::kTorus) {
  TopologyOptions o;
  o.kind = kind;
  o.dims = std::move(dims);
  o.link = {50000, 4000};  // 50 GB/s, 4 ns
  return o;
}

NetworkOptions Options(FlowControl fc = FlowControl::kVirtualCutThrough) {
  NetworkOptions o;
  o.router_delay_ps = 2500;
  o.flit_bytes = 64;
  o.header_bytes = 16;
  o.mtu_bytes = 512;
  o.flow_control = fc;
  o.watchdog_ps = 100'000'000;  // 100 us
  return o;
}

std::shared_ptr<const Payload> Bytes(std::uint64_t n, std::uint64_t seed) {
  auto p = std::make_shared<Payload>(n);
  SplitMix64 r(seed);
  for (auto& b : *p) b = static_cast<std::int8_t>(r.Next());
  return p;
}

struct ZeroLoadCase {
  TopologyKind kind;
  std::vector<std::uint32_t> dims;
  FlowControl fc;
};

class ZeroLoad : public ::testing::TestWithParam<ZeroLoadCase> {};

TEST_P(ZeroLoad, IsolatedPacketsMatchTheClosedForm) {
  const ZeroLoadCase& c = GetParam();
  auto net = Network::Make(Shape(c.dims, c.kind), Options(c.fc));
  SequentialDriver driver(*net);
  std::vector<DeliveredMessage> got;
  driver.OnDeliver([&](DeliveredMessage& m) { got.push_back(m); });
  SplitMix64 rng(11);
  struct Sent {
    NodeId src, dst;
    std::uint64_t bytes;
    Tick at;
  };
  std::vector<Sent> sent;
  for (int i = 0; i < 300; ++i) {
    const Tick at = static_cast<Tick>(i) * 10'000'000;  // far apart: an idle fabric each time
    driver.RunUntil(at);
    Sent s{static_cast<NodeId>(rng.Next() % net->num_nodes()), static_cast<NodeId>(rng.Next() % net->num_nodes()),
           static_cast<std::uint64_t>(rng.Uniform(0, 4000)), at};
    driver.Inject({s.src, s.dst, s.bytes, static_cast<std::uint64_t>(i), nullptr});
    sent.push_back(s);
  }
  driver.RunToIdle();
  ASSERT_EQ(got.size(), sent.size());
  const LinkTiming link{50000, 4000};
  for (const DeliveredMessage& m : got) {
    const Sent& s = sent[m.tag];
    const std::uint32_t hops = net->Hops(s.src, s.dst);
    EXPECT_LE(hops, net->Diameter());
    EXPECT_EQ(m.delivered_ps - s.at, ZeroLoadMessageLatencyPs(net->options(), link, hops, s.bytes))
        << s.src << " -> " << s.dst << " bytes " << s.bytes << " hops " << hops;
  }
  EXPECT_TRUE(net->AuditIdle().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ZeroLoad,
    ::testing::Values(ZeroLoadCase{TopologyKind::kTorus, {8}, FlowControl::kVirtualCutThrough},
                      ZeroLoadCase{TopologyKind::kTorus, {4, 4}, FlowControl::kVirtualCutThrough},
                      ZeroLoadCase{TopologyKind::kTorus, {3, 2, 4}, FlowControl::kStoreAndForward},
                      ZeroLoadCase{TopologyKind::kTorus, {8, 8}, FlowControl::kStoreAndForward},
                      ZeroLoadCase{TopologyKind::kMesh, {4, 3}, FlowControl::kVirtualCutThrough},
                      ZeroLoadCase{TopologyKind::kTwistedTorus, {2, 2, 4}, FlowControl::kVirtualCutThrough}));

TEST(ZeroLoadFormulaTest, HandValues) {
  const NetworkOptions o = Options();
  const LinkTiming link{50000, 4000};
  // 240 B payload + 16 B header = 4 flits of 64 B; a flit takes 1280 ps at 50 GB/s.
  // VCT, 3 hops: 3 * (2500 + 4000 + 1280) + (5120 - 1280) + 2500 = 29680.
  EXPECT_EQ(ZeroLoadPacketLatencyPs(o, link, 3, 240), 29680u);
  // SAF: 3 * (2500 + 4000 + 5120) + 2500 = 37360.
  EXPECT_EQ(ZeroLoadPacketLatencyPs(Options(FlowControl::kStoreAndForward), link, 3, 240), 37360u);
  EXPECT_EQ(ZeroLoadPacketLatencyPs(o, link, 0, 240), 2500u);
}

TEST(MessageTest, SplitIntoMtuPacketsAndReassembledInOrder) {
  NetworkOptions o = Options();
  o.mtu_bytes = 100;  // 1000 bytes -> 10 packets of 100
  auto net = Network::Make(Shape({4, 4}), o);
  SequentialDriver driver(*net);
  std::vector<DeliveredMessage> got;
  driver.OnDeliver([&](DeliveredMessage& m) { got.push_back(m); });
  const auto data = Bytes(1000, 5);
  const auto odd = Bytes(1001, 6);
  driver.Inject({0, 10, 1000, 1, data});
  driver.Inject({0, 10, 1001, 2, odd});      // 11 packets, the last of 1 byte
  driver.Inject({5, 5, 7, 3, Bytes(7, 7)});  // loopback
  driver.Inject({3, 12, 0, 4, nullptr});     // header only
  driver.RunToIdle();
  ASSERT_EQ(got.size(), 4u);
  std::map<std::uint64_t, DeliveredMessage> by_tag;
  for (auto& m : got) by_tag[m.tag] = m;
  EXPECT_EQ(by_tag[1].packets, 10u);
  EXPECT_EQ(*by_tag[1].data, *data);
  EXPECT_EQ(by_tag[1].data.get(), data.get());  // one process: the shared buffer itself
  EXPECT_EQ(by_tag[2].packets, 11u);
  EXPECT_EQ(*by_tag[2].data, *odd);
  EXPECT_EQ(by_tag[3].bytes, 7u);
  EXPECT_EQ(by_tag[4].packets, 1u);
  EXPECT_EQ(by_tag[4].data, nullptr);
  const NodeStats total = net->TotalStats();
  EXPECT_EQ(total.packets_injected, 10u + 11 + 1 + 1);
  EXPECT_EQ(total.packets_delivered, total.packets_injected);
  EXPECT_TRUE(net->AuditIdle().empty());
}

TEST(MessageTest, CrossRankFormCarriesOnlyThePacketSlice) {
  NetEvent e;
  e.tick = 123;
  e.kind = NetEventKind::kPacket;
  e.node = 4;
  e.origin = 3;
  e.seq = 9;
  e.port = 1;
  e.vc = 1;
  e.packet.offset = 200;
  e.packet.payload_bytes = 100;
  e.packet.message_bytes = 1000;
  e.data = Bytes(1000, 1);
  moefab::Bytes wire;
  ByteWriter w(wire);
  AppendNetEvent(e, w);
  EXPECT_LT(wire.size(), 400u);
  ByteReader in(wire);
  const NetEvent r = ReadNetEvent(in);
  EXPECT_TRUE(in.done());
  EXPECT_EQ(r.tick, 123u);
  EXPECT_EQ(r.origin, 3u);
  EXPECT_EQ(r.data_offset, 200u);
  ASSERT_EQ(r.data->size(), 100u);
  EXPECT_TRUE(std::equal(r.data->begin(), r.data->end(), e.data->begin() + 200));
}

TEST(MessageTest, ReassemblyFromCrossRankSlices) {
  // Packets that crossed ranks carry slices; reassembly copies them into one buffer.
  NetworkOptions o = Options();
  o.mtu_bytes = 100;
  auto net = Network::Make(Shape({2}), o);
  struct Ctx : NetContext {
    Tick now = 0;
    std::vector<NetEvent> queued;
    std::vector<DeliveredMessage> got;
    Tick Now() const override { return now; }
    void Schedule(NetEvent&& e) override { queued.push_back(std::move(e)); }
    void Deliver(DeliveredMessage m) override { got.push_back(std::move(m)); }
  } ctx;
  const auto data = Bytes(250, 3);
  net->Inject({0, 1, 250, 0, data}, ctx);
  // Run by hand, sending every event through its cross-rank form.
  while (!ctx.queued.empty()) {
    auto it = std::min_element(ctx.queued.begin(), ctx.queued.end(),
                               [](const NetEvent& a, const NetEvent& b) { return a.tick < b.tick; });
    moefab::Bytes wire;
    ByteWriter w(wire);
    AppendNetEvent(*it, w);
    ctx.queued.erase(it);
    ByteReader in(wire);
    NetEvent e = ReadNetEvent(in);
    ctx.now = e.tick;
    net->Handle(e, ctx);
  }
  ASSERT_EQ(ctx.got.size(), 1u);
  EXPECT_EQ(*ctx.got[0].data, *data);
}

// Property: random traffic over seeds and shapes; every message arrives once, no packet is
// left, every credit comes back.
class CreditProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(CreditProperty, CreditsConservedAndEveryMessageArrivesOnce) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  SplitMix64 rng(seed);
  const std::vector<TopologyOptions> shapes = {Shape({5}), Shape({4, 4}), Shape({2, 3, 4}),
                                               Shape({4, 3}, TopologyKind::kMesh),
                                               Shape({4, 8}, TopologyKind::kTwistedTorus)};
  const TopologyOptions& t = shapes[rng.Next() % shapes.size()];
  NetworkOptions o = Options(rng.Next() % 2 ? FlowControl::kStoreAndForward : FlowControl::kVirtualCutThrough);
  o.buffer_flits = 9 + static_cast<std::uint32_t>(rng.Next() % 8);  // one 9-flit packet and up
  if (t.kind == TopologyKind::kTwistedTorus) {
    o.routing = rng.Next() % 2 ? RoutingAlgorithm::kMinimalAdaptive : RoutingAlgorithm::kShortestPathTable;
  }
  auto net = Network::Make(t, o);
  SequentialDriver driver(*net);
  std::map<MessageId, int> arrivals;
  driver.OnDeliver([&](DeliveredMessage& m) { ++arrivals[m.id]; });
  std::vector<MessageId> ids;
  for (int i = 0; i < 3000; ++i) {
    driver.RunUntil(static_cast<Tick>(i) * 300);
    const auto src = static_cast<NodeId>(rng.Next() % net->num_nodes());
    const auto dst = static_cast<NodeId>(rng.Next() % net->num_nodes());
    ids.push_back(driver.Inject({src, dst, static_cast<std::uint64_t>(rng.Uniform(0, 1500)), 0, nullptr}));
  }
  driver.RunToIdle();
  ASSERT_EQ(arrivals.size(), ids.size());
  for (MessageId id : ids) EXPECT_EQ(arrivals[id], 1) << id;
  const auto bad = net->AuditIdle();
  EXPECT_TRUE(bad.empty()) << bad.front();
  EXPECT_EQ(net->PacketsHeld(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, CreditProperty, ::testing::Range<std::uint64_t>(1, 11));

// A ring where every node sends two hops the same way: with one VC and one-packet buffers the
// + links form a cycle of full buffers.
void FloodRing(Network& net, SequentialDriver& driver, int rounds) {
  const std::uint32_t n = net.num_nodes();
  for (int r = 0; r < rounds; ++r) {
    driver.RunUntil(static_cast<Tick>(r) * 1000);
    for (NodeId s = 0; s < n; ++s) driver.Inject({s, (s + 2) % n, 240, 0, nullptr});
  }
}

TEST(DeadlockTest, WatchdogNamesTheCycleOnARingWithoutDateline) {
  NetworkOptions o = Options();
  o.mtu_bytes = 240;
  o.num_vcs = 1;
  o.deadlock = DeadlockAvoidance::kNone;
  o.buffer_flits = 4;  // one packet
  o.watchdog_ps = 1'000'000;
  auto net = Network::Make(Shape({5}), o);
  SequentialDriver driver(*net);
  try {
    FloodRing(*net, driver, 50);
    driver.RunToIdle();
    ADD_FAILURE() << "expected a stall";
  } catch (const StallError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("fabric watchdog"), std::string::npos) << what;
    // The five + links, each waiting for the next one's buffer.
    EXPECT_NE(what.find("(cycle of 5 links)"), std::string::npos) << what;
    for (const char* link : {"0:+x/vc0", "1:+x/vc0", "2:+x/vc0", "3:+x/vc0", "4:+x/vc0"}) {
      EXPECT_NE(what.find(link), std::string::npos) << what;
    }
  }
}

TEST(DeadlockTest, DatelineRingWithMinimalBuffersDeliversEverything) {
  NetworkOptions o = Options();
  o.mtu_bytes = 240;
  o.buffer_flits = 4;  // one packet per VC
  o.watchdog_ps = 1'000'000;
  auto net = Network::Make(Shape({5}), o);
  ASSERT_EQ(net->deadlock(), DeadlockAvoidance::kDateline);
  ASSERT_EQ(net->num_vcs(), 2u);
  SequentialDriver driver(*net);
  std::uint64_t delivered = 0;
  driver.OnDeliver([&](DeliveredMessage&) { ++delivered; });
  FloodRing(*net, driver, 200);
  driver.RunToIdle();
  EXPECT_EQ(delivered, 200u * 5);
  EXPECT_TRUE(net->AuditIdle().empty());
}

TEST(DeadlockTest, SaturatedTorusAndTwistedTorusWithMinimalBuffersDeliverEverything) {
  for (TopologyKind kind : {TopologyKind::kTorus, TopologyKind::kTwistedTorus}) {
    NetworkOptions o = Options();
    o.mtu_bytes = 240;
    o.buffer_flits = 4;
    // Far above saturation, local round-robin starves long chains of one-packet buffers for
    // microseconds (the parking-lot effect) without any deadlock; the watchdog must exceed it.
    o.watchdog_ps = 100'000'000;
    auto net = Network::Make(Shape({4, 8}, kind), o);
    SequentialDriver driver(*net);
    std::uint64_t delivered = 0;
    driver.OnDeliver([&](DeliveredMessage&) { ++delivered; });
    SplitMix64 rng(3);
    // Far above saturation: 2 packets per node every 4-flit time for a while.
    for (int r = 0; r < 300; ++r) {
      driver.RunUntil(static_cast<Tick>(r) * 5120);
      for (NodeId s = 0; s < net->num_nodes(); ++s) {
        for (int k = 0; k < 2; ++k) {
          driver.Inject({s, static_cast<NodeId>(rng.Next() % net->num_nodes()), 240, 0, nullptr});
        }
      }
    }
    driver.RunToIdle();
    EXPECT_EQ(delivered, 300u * 2 * net->num_nodes());
    EXPECT_TRUE(net->AuditIdle().empty());
  }
}

TEST(NetworkConfigTest, ValidationNamesFieldValueAndExpectation) {
  auto error_of = [](const TopologyOptions& t, const NetworkOptions& o) -> std::string {
    try {
      Network::Make(t, o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  };
  NetworkOptions o = Options();
  o.buffer_flits = 3;
  EXPECT_EQ(error_of(Shape({4}), o),
            "network.buffer_flits=3: expected >= 9 (one whole packet: header 16 + mtu 512 bytes in "
            "64-byte flits)");
  o = Options();
  o.routing = RoutingAlgorithm::kDimensionOrder;
  EXPECT_NE(error_of(Shape({4, 8}, TopologyKind::kTwistedTorus), o).find("network.routing=dimension_order"),
            std::string::npos);
  o = Options();
  o.deadlock = DeadlockAvoidance::kHopCountVcs;
  o.routing = RoutingAlgorithm::kShortestPathTable;
  o.num_vcs = 2;
  EXPECT_EQ(error_of(Shape({8, 8}), o),
            "network.num_vcs=2: expected >= 8: hop-count VCs need one VC per hop of the longest "
            "route (diameter 8)");
  o = Options();
  o.reconfigurations = {{1000, {}}};
  EXPECT_NE(error_of(Shape({4}), o).find("network.reconfigurations=1 entries"), std::string::npos);
}

TEST(LookaheadTest, SmallestWireLatencyAndOnlyCrossRankLinks) {
  TopologyOptions t;
  t.kind = TopologyKind::kOcsCubes;
  t.cube_dims = {2, 2, 2};
  t.num_cubes = 2;
  t.link = {50000, 3000};
  t.optical = {50000, 20000};
  t.ocs = OcsTorusWiring({2, 2, 2}, {1, 1, 2});
  auto net = Network::Make(t, Options());
  EXPECT_EQ(net->MinCrossNodeDelayPs(), 3000u);
  // Cubes on different ranks: only optical links cross.
  std::vector<RankId> owner(16, 0);
  for (NodeId n = 8; n < 16; ++n) owner[n] = 1;
  EXPECT_EQ(net->MinCrossNodeDelayPs(owner), 20000u);
  EXPECT_EQ(net->MinCrossNodeDelayPs(std::vector<RankId>(16, 0)), kTickMax);
}

// credit_delay_ps: credits become usable that much later. With one-packet buffers the second
// packet of a message waits for the first one's credit, so it arrives exactly the delay later;
// a one-packet message does not notice. The lookahead grows by min(credit delay, router delay).
TEST(CreditDelayTest, DelaysCreditBoundPacketsAndRaisesTheLookahead) {
  const auto deliver_time = [](Tick credit_delay, std::uint64_t bytes) {
    NetworkOptions o = Options();
    o.credit_delay_ps = credit_delay;
    o.buffer_flits = 9;                     // one packet: 16 + 512 bytes in 64-byte flits
    o.deadlock = DeadlockAvoidance::kNone;  // one VC: both packets use the same buffer
    auto net = Network::Make(Shape({4}), o);
    SequentialDriver driver(*net);
    Tick at = 0;
    driver.OnDeliver([&](DeliveredMessage& m) { at = m.delivered_ps; });
    driver.Inject({0, 1, bytes, 1, Bytes(bytes, 3)});
    driver.RunToIdle();
    EXPECT_TRUE(net->AuditIdle().empty());
    return at;
  };
  EXPECT_EQ(deliver_time(7000, 1024), deliver_time(0, 1024) + 7000);
  EXPECT_EQ(deliver_time(7000, 512), deliver_time(0, 512));
  NetworkOptions o = Options();  // router delay 2500 ps, wire 4000 ps
  EXPECT_EQ(Network::Make(Shape({4}), o)->MinCrossNodeDelayPs(), 4000u);
  o.credit_delay_ps = 1000;
  EXPECT_EQ(Network::Make(Shape({4}), o)->MinCrossNodeDelayPs(), 5000u);
  o.credit_delay_ps = 9000;
  EXPECT_EQ(Network::Make(Shape({4}), o)->MinCrossNodeDelayPs(), 6500u);
  EXPECT_EQ(Network::Make(Shape({4}), o)->MinCrossNodeDelayPs({0, 0, 1, 1}), 6500u);
}

// injection_latency_ps / ejection_latency_ps: every message reaches its chip exactly their sum
// later (a one-hop, a two-hop and a loopback message, one and several packets), and the
// fabric's own latency statistics count them too.
TEST(InjectionEjectionTest, ChannelsAddTheirLatencyToEveryMessage) {
  const auto deliver = [](Tick injection, Tick ejection, NodeId dst, std::uint64_t bytes) {
    NetworkOptions o = Options();
    o.injection_latency_ps = injection;
    o.ejection_latency_ps = ejection;
    auto net = Network::Make(Shape({4}), o);
    SequentialDriver driver(*net);
    Tick at = 0;
    driver.OnDeliver([&](DeliveredMessage& m) { at = m.delivered_ps; });
    driver.Inject({0, dst, bytes, 1, Bytes(bytes, 5)});
    driver.RunToIdle();
    EXPECT_TRUE(net->AuditIdle().empty());
    EXPECT_EQ(net->TotalStats().message_latency.Max(), at);  // injected at 0
    return at;
  };
  for (NodeId dst : {0u, 1u, 2u})
    for (std::uint64_t bytes : {64u, 2048u}) {
      SCOPED_TRACE("to node " + std::to_string(dst) + ", " + std::to_string(bytes) + " bytes");
      EXPECT_EQ(deliver(1000, 2000, dst, bytes), deliver(0, 0, dst, bytes) + 3000);
      EXPECT_EQ(deliver(0, 500, dst, bytes), deliver(0, 0, dst, bytes) + 500);
    }
}

}  // namespace
}  // namespace moefab::fabric
