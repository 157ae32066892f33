// Checkpoints of the network (Network::SaveState / LoadState, core/state_archive.h): a run
// stopped mid-traffic, saved, read into a fresh network and continued delivers the same
// messages, bytes and statistics as the run that never stopped; bad checkpoints are refused
// with a message naming the file.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "core/state_archive.h"
#include "fabric/network.h"

namespace moefab::fabric {
namespace {

// An ordered-set event loop that defers credits as the runtime's engine does and whose queue
// can be saved with the network.
class Loop final : public NetContext {
 public:
  explicit Loop(Network& net) : net_(net), seq_(net.num_nodes(), 0) {}
  Tick Now() const override { return now_; }
  void Schedule(NetEvent&& e) override {
    e.seq = seq_[e.origin]++;
    ScheduleReserved(std::move(e));
  }
  void ScheduleReserved(NetEvent&& e) override {
    queue_.emplace(std::make_tuple(e.tick, static_cast<int>(e.kind), e.origin, e.seq), std::move(e));
  }
  bool DefersCredits() const override { return true; }
  std::uint64_t ReserveSeq(NodeId origin) override { return seq_[origin]++; }
  void Deliver(DeliveredMessage m) override { delivered.push_back(m); }
  void RunUntil(Tick end) {
    while (!queue_.empty() && std::get<0>(queue_.begin()->first) < end) {
      auto node = queue_.extract(queue_.begin());
      now_ = node.value().second.tick;
      net_.Handle(node.value().second, *this);
    }
    now_ = std::max(now_, end);
  }
  template <class Ar>
  void Archive(Ar& ar) {
    std::vector<NetEvent> events;
    if constexpr (!Ar::kLoading)
      for (const auto& [key, e] : queue_) events.push_back(e);
    ar(now_, seq_, events);
    if constexpr (Ar::kLoading) {
      queue_.clear();
      for (NetEvent& e : events) ScheduleReserved(std::move(e));
    }
  }
  std::vector<DeliveredMessage> delivered;

 private:
  using Key = std::tuple<Tick, int, NodeId, std::uint64_t>;
  Network& net_;
  Tick now_ = 0;
  std::vector<std::uint64_t> seq_;
  std::set<std::pair<Key, NetEvent>, decltype([](const auto& a, const auto& b) { return a.first < b.first; })> queue_;
};

std::unique_ptr<Network> MakeNetwork() {
  TopologyOptions t;
  t.kind = TopologyKind::kTorus;
  t.dims = {4, 3};
  t.link = {32'000, 1'000};  // MB/s, wire ps
  NetworkOptions o;
  o.router_delay_ps = 3'000;
  o.flit_bytes = 32;
  o.buffer_flits = 8;
  o.mtu_bytes = 96;  // messages of several packets: reassembly is in the checkpoint too
  o.watchdog_ps = 50'000'000;
  return Network::Make(t, o);
}

// Message i of the traffic: random source, destination and size, with real bytes.
MessageSpec Message(SplitMix64& rng, std::uint32_t nodes, int i) {
  MessageSpec m{static_cast<NodeId>(rng.Next() % nodes), static_cast<NodeId>(rng.Next() % nodes), rng.Next() % 400,
                static_cast<std::uint64_t>(i), nullptr};
  auto bytes = std::make_shared<Payload>(m.bytes);
  for (auto& b : *bytes) b = static_cast<std::int8_t>(rng.Next());
  m.data = bytes;
  return m;
}

constexpr int kMessages = 1500;
constexpr Tick kEvery = 400;  // ps between two messages: above what the fabric drains, so packets queue

// Runs the traffic; when `stop_at` is reached the state is saved and read into a fresh network
// and loop, which carry on.
std::vector<DeliveredMessage> RunTraffic(int stop_at, Bytes* checkpoint = nullptr, NodeStats* totals = nullptr) {
  auto net = MakeNetwork();
  auto loop = std::make_unique<Loop>(*net);
  std::vector<NodeId> all(net->num_nodes());
  for (NodeId n = 0; n < all.size(); ++n) all[n] = n;
  std::vector<DeliveredMessage> delivered;
  SplitMix64 rng(7);
  for (int i = 0; i < kMessages; ++i) {
    loop->RunUntil(static_cast<Tick>(i) * kEvery);
    if (i == stop_at) {
      Bytes bytes;
      StateWriter w(bytes);
      net->SaveState(w, all);
      w(*loop);
      delivered = std::move(loop->delivered);
      loop.reset();
      net = MakeNetwork();
      loop = std::make_unique<Loop>(*net);
      StateReader r(bytes, "test.ckpt");
      net->LoadState(r, all);
      r(*loop);
      EXPECT_TRUE(r.done());
      if (checkpoint) *checkpoint = bytes;
    }
    const MessageSpec m = Message(rng, net->num_nodes(), i);
    net->Inject(m, *loop);
  }
  loop->RunUntil(kTickMax);
  EXPECT_TRUE(net->AuditIdle().empty());
  delivered.insert(delivered.end(), loop->delivered.begin(), loop->delivered.end());
  if (totals) *totals = net->TotalStats();
  return delivered;
}

TEST(CheckpointTest, AResumedNetworkDeliversWhatAnUninterruptedOneDoes) {
  NodeStats whole_totals, resumed_totals;
  const auto whole = RunTraffic(-1, nullptr, &whole_totals);
  Bytes checkpoint;
  const auto resumed = RunTraffic(kMessages / 2, &checkpoint, &resumed_totals);
  EXPECT_GT(checkpoint.size(), 1000u);  // packets were in flight at the stop
  ASSERT_EQ(whole.size(), static_cast<size_t>(kMessages));
  ASSERT_EQ(resumed.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    ASSERT_EQ(resumed[i].id, whole[i].id) << i;
    ASSERT_EQ(resumed[i].delivered_ps, whole[i].delivered_ps) << i;
    ASSERT_EQ(resumed[i].injected_ps, whole[i].injected_ps) << i;
    ASSERT_EQ(resumed[i].bytes, whole[i].bytes) << i;
    if (whole[i].bytes) {
      ASSERT_NE(resumed[i].data, nullptr) << i;
      ASSERT_EQ(*resumed[i].data, *whole[i].data) << i;
    }
  }
  EXPECT_EQ(resumed_totals.packet_hops, whole_totals.packet_hops);
  EXPECT_EQ(resumed_totals.flits_delivered, whole_totals.flits_delivered);
  EXPECT_EQ(resumed_totals.packet_latency.Percentile(0.99), whole_totals.packet_latency.Percentile(0.99));
  EXPECT_EQ(resumed_totals.message_latency.Max(), whole_totals.message_latency.Max());
}

TEST(CheckpointTest, ATruncatedCheckpointNamesTheFile) {
  Bytes checkpoint;
  RunTraffic(kMessages / 2, &checkpoint);
  auto net = MakeNetwork();
  std::vector<NodeId> all(net->num_nodes());
  for (NodeId n = 0; n < all.size(); ++n) all[n] = n;
  for (size_t cut : {size_t{0}, size_t{5}, checkpoint.size() / 2}) {
    StateReader r(std::span<const std::byte>(checkpoint.data(), cut), "run/rank-0.ckpt");
    try {
      net->LoadState(r, all);
      FAIL() << "accepted " << cut << " bytes";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("run/rank-0.ckpt"), std::string::npos) << e.what();
    }
  }
}

TEST(CheckpointTest, ACheckpointOfOtherNodesIsRefused) {
  auto net = MakeNetwork();
  Bytes bytes;
  StateWriter w(bytes);
  net->SaveState(w, {0, 1, 2});
  StateReader r(bytes, "x.ckpt");
  try {
    net->LoadState(r, {0, 1, 3});
    FAIL() << "accepted another node's state";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("holds node 2 where node 3 was expected"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace moefab::fabric
