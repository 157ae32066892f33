// Bit-for-bit regression guard of the router model: fixed runs (DOR with datelines under
// uniform load, minimal adaptive on a twisted torus with multi-packet messages and small
// buffers, store-and-forward on a mesh, an OCS rewiring mid all-to-all) are hashed (every
// delivery's id, ticks and bytes in delivery order, the node totals, the link report and the
// reconfiguration report) and compared with the values the model produced when the engine was
// last changed on purpose. Speed work on the engine must keep them; a deliberate change of
// timing or arbitration updates the constants and says why in fabric/README.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/rng.h"
#include "fabric/driver.h"
#include "fabric/traffic.h"

namespace moefab::fabric {
namespace {

struct Hash {
  std::uint64_t h = 0x9E3779B97F4A7C15ull;
  void Add(std::uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
  }
};

struct Fingerprint {
  std::uint64_t outputs = 0;  // deliveries, totals, links, reconfigurations
  std::uint64_t events = 0;   // the model's events: handled by the driver + credits without one
};

void AddReports(Hash& h, const Network& net) {
  const NodeStats t = net.TotalStats();
  for (std::uint64_t v :
       {t.messages_injected, t.packets_injected, t.messages_delivered, t.packets_delivered, t.flits_delivered,
        t.bytes_delivered, t.packet_hops, t.vc_overflows, t.packet_latency.count(), t.packet_latency.Max(),
        t.message_latency.Max(), t.packet_latency.Percentile(0.5), t.packet_latency.Percentile(0.99)}) {
    h.Add(v);
  }
  for (const LinkStats& l : net.LinkReport()) {
    for (std::uint64_t v : {std::uint64_t{l.src}, std::uint64_t{l.port}, l.packets, l.flits, l.bytes, l.busy_ps,
                            std::uint64_t{l.peak_waiting_packets}, std::uint64_t{l.peak_buffer_flits}}) {
      h.Add(v);
    }
  }
  for (const ReconfigStats& r : net.ReconfigReport()) {
    for (std::uint64_t v : {r.begin_ps, r.drained_ps, r.installed_ps, r.affected_links, r.delayed_packets,
                            r.delayed_bytes, r.delayed_ps}) {
      h.Add(v);
    }
  }
}

// Bernoulli-like random traffic: `messages` messages at random sources, destinations and sizes.
Fingerprint RandomRun(const TopologyOptions& t, const NetworkOptions& o, std::uint64_t seed, int messages,
                      Tick spacing_ps, std::uint64_t max_bytes, bool with_data) {
  auto net = Network::Make(t, o);
  SequentialDriver driver(*net);
  Hash h;
  driver.OnDeliver([&](DeliveredMessage& m) {
    for (std::uint64_t v : {m.id, std::uint64_t{m.src}, std::uint64_t{m.dst}, m.bytes, m.injected_ps, m.delivered_ps,
                            std::uint64_t{m.packets}}) {
      h.Add(v);
    }
    if (m.data) {
      std::uint64_t sum = 0;
      for (std::int8_t b : *m.data) sum = sum * 31 + static_cast<std::uint8_t>(b);
      h.Add(sum);
    }
  });
  SplitMix64 rng(seed);
  const std::uint32_t n = net->num_nodes();
  for (int i = 0; i < messages; ++i) {
    driver.RunUntil(static_cast<Tick>(i) * spacing_ps);
    const auto src = static_cast<NodeId>(rng.Next() % n);
    const auto dst = static_cast<NodeId>(rng.Next() % n);
    const std::uint64_t bytes = rng.Next() % (max_bytes + 1);
    std::shared_ptr<const Payload> data;
    if (with_data) {
      auto p = std::make_shared<Payload>(bytes);
      for (auto& b : *p) b = static_cast<std::int8_t>(rng.Next());
      data = std::move(p);
    }
    driver.Inject({src, dst, bytes, static_cast<std::uint64_t>(i), std::move(data)});
  }
  driver.RunToIdle();
  EXPECT_TRUE(net->AuditIdle().empty());
  for (const ReconfigStats& r : net->ReconfigReport()) EXPECT_GT(r.delayed_packets, 0u);
  AddReports(h, *net);
  return {h.h, driver.events_handled() + net->CreditsWithoutEvents()};
}

TopologyOptions Shape(std::vector<std::uint32_t> dims, TopologyKind kind = TopologyKind::kTorus) {
  TopologyOptions o;
  o.kind = kind;
  o.dims = std::move(dims);
  o.link = {50000, 1280};
  return o;
}

NetworkOptions Base() {
  NetworkOptions o;
  o.router_delay_ps = 1280;
  o.mtu_bytes = 240;
  o.watchdog_ps = 100'000'000;
  return o;
}

Fingerprint UniformDor8x8() {
  // About 0.6 flits/node/cycle offered: 64 nodes, a 4-flit packet every 427 ps.
  return RandomRun(Shape({8, 8}), Base(), 1, 30000, 107, 240, false);
}

Fingerprint AdaptiveTwisted() {
  NetworkOptions o = Base();
  o.routing = RoutingAlgorithm::kMinimalAdaptive;
  o.mtu_bytes = 256;
  o.buffer_flits = 10;  // two packets: credits often block
  return RandomRun(Shape({4, 8}, TopologyKind::kTwistedTorus), o, 2, 4000, 300, 1500, true);
}

Fingerprint SafMesh() {
  NetworkOptions o = Base();
  o.flow_control = FlowControl::kStoreAndForward;
  o.mtu_bytes = 512;
  o.buffer_flits = 9;
  TopologyOptions t = Shape({4, 3}, TopologyKind::kMesh);
  t.link = {40000, 3000};  // a flit time that does not divide evenly
  return RandomRun(t, o, 3, 3000, 400, 1200, false);
}

Fingerprint Rewiring() {
  TopologyOptions t;
  t.kind = TopologyKind::kOcsCubes;
  t.cube_dims = {2, 2, 2};
  t.num_cubes = 4;
  t.link = {50000, 1280};
  t.optical = {50000, 5000};
  t.ocs = OcsTorusWiring({2, 2, 2}, {1, 2, 2});
  NetworkOptions o = Base();
  o.mtu_bytes = 256;
  o.buffer_flits = 16;
  o.ocs_switch_ps = 500'000;
  o.control_latency_ps = 200'000;
  o.reconfigurations = {{600'000, OcsTorusWiring({2, 2, 2}, {1, 2, 2}, {{1, 2, 2}})}};
  return RandomRun(t, o, 4, 6000, 200, 1000, true);
}

struct Case {
  const char* name;
  Fingerprint (*run)();
  std::uint64_t outputs;
  std::uint64_t events;
};

const Case kCases[] = {
    {"uniform_dor_8x8", UniformDor8x8, 0x6ef376e0a6038acdull, 316195},
    {"adaptive_twisted_4x8", AdaptiveTwisted, 0xb9b858a06de5fa46ull, 110889},
    {"saf_mesh_4x3", SafMesh, 0xde30a62084067db9ull, 32434},
    {"rewiring_ocs_2x4x4", Rewiring, 0x4d1ae55f70030039ull, 106531},
};

TEST(DeterminismTest, FixedRunsReproduceTheirFingerprints) {
  for (const Case& c : kCases) {
    const Fingerprint f = c.run();
    std::printf("%s: outputs 0x%016llxull events %llu\n", c.name, static_cast<unsigned long long>(f.outputs),
                static_cast<unsigned long long>(f.events));
    EXPECT_EQ(f.outputs, c.outputs) << c.name;
    EXPECT_EQ(f.events, c.events) << c.name;
  }
}

// A plain reference event loop: an ordered set keyed by (tick, kind, origin, seq), events stored
// by value. SequentialDriver's bucket queue must hand out the same events in the same order.
class ReferenceLoop final : public NetContext {
 public:
  explicit ReferenceLoop(Network& net) : net_(net), seq_(net.num_nodes(), 0) {}
  Tick Now() const override { return now_; }
  void Schedule(NetEvent&& e) override {
    e.seq = seq_[e.origin]++;
    queue_.emplace(std::make_tuple(e.tick, static_cast<int>(e.kind), e.origin, e.seq), std::move(e));
  }
  void Deliver(DeliveredMessage m) override { delivered.push_back(m); }
  void RunUntil(Tick end) {
    while (!queue_.empty() && std::get<0>(queue_.begin()->first) < end) {
      auto node = queue_.extract(queue_.begin());
      now_ = node.value().second.tick;
      ++events;
      net_.Handle(node.value().second, *this);
    }
    now_ = std::max(now_, end);
  }
  std::vector<DeliveredMessage> delivered;
  std::uint64_t events = 0;

 private:
  using Key = std::tuple<Tick, int, NodeId, std::uint64_t>;
  Network& net_;
  Tick now_ = 0;
  std::vector<std::uint64_t> seq_;
  std::set<std::pair<Key, NetEvent>, decltype([](const auto& a, const auto& b) { return a.first < b.first; })> queue_;
};

// Random traffic with zero router delay (events at the tick being handled), bursts at equal
// ticks and a watchdog, through both loops: the same deliveries in the same order.
TEST(DeterminismTest, BucketQueueMatchesAReferenceOrderedSet) {
  for (std::uint64_t seed : {1, 2, 3}) {
    TopologyOptions t = Shape(seed == 2 ? std::vector<std::uint32_t>{4, 2} : std::vector<std::uint32_t>{3, 4},
                              seed == 3 ? TopologyKind::kTwistedTorus : TopologyKind::kTorus);
    if (seed == 3) t.dims = {2, 2, 4};
    NetworkOptions o = Base();
    o.router_delay_ps = seed == 1 ? 0 : 700;
    o.buffer_flits = 8;
    o.mtu_bytes = 200;
    o.watchdog_ps = 5'000'000;
    auto a = Network::Make(t, o);
    auto b = Network::Make(t, o);
    SequentialDriver driver(*a);
    ReferenceLoop ref(*b);
    std::vector<DeliveredMessage> got;
    driver.OnDeliver([&](DeliveredMessage& m) { got.push_back(m); });
    SplitMix64 rng(seed);
    for (int i = 0; i < 3000; ++i) {
      const Tick at = static_cast<Tick>(i / 4) * 1280;  // four messages per tick
      driver.RunUntil(at);
      ref.RunUntil(at);
      const MessageSpec m{static_cast<NodeId>(rng.Next() % a->num_nodes()),
                          static_cast<NodeId>(rng.Next() % a->num_nodes()), rng.Next() % 700,
                          static_cast<std::uint64_t>(i), nullptr};
      driver.Inject(m);
      b->Inject(m, ref);
    }
    driver.RunToIdle();
    ref.RunUntil(kTickMax);
    ASSERT_EQ(got.size(), ref.delivered.size()) << seed;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].id, ref.delivered[i].id) << "seed " << seed << " delivery " << i;
      ASSERT_EQ(got[i].delivered_ps, ref.delivered[i].delivered_ps) << "seed " << seed << " delivery " << i;
    }
    // The reference loop defers no credits: the driver handles fewer events, each credit it
    // applied without one standing for an event of the reference.
    EXPECT_GT(a->CreditsWithoutEvents(), 0u) << seed;
    EXPECT_EQ(driver.events_handled() + a->CreditsWithoutEvents(), ref.events) << seed;
  }
}

TEST(DeterminismTest, SameRunTwiceIsIdentical) {
  const Fingerprint a = AdaptiveTwisted();
  const Fingerprint b = AdaptiveTwisted();
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.events, b.events);
}

}  // namespace
}  // namespace moefab::fabric
