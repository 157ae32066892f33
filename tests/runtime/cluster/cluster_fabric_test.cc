// Whole runs over the credit-based fabric (fabric/network.h): the fabric changes timing,
// never the numbers; rewiring mid-run loses nothing; the fabric's statistics add up.
#include <gtest/gtest.h>

#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab {
namespace {

SimulationOutcome RunOnce(const RunOptions& o) {
  LoopbackTransport t;
  return Simulate(o, t, Logger("runtime"));
}

RunOptions Config(const std::string& name) {
  return LoadConfigFile(std::string(MOEFAB_SOURCE_DIR) + "/configs/" + name);
}

// The same tokens over different fabrics: identical final hidden states (the partitioned
// system computes what the model computes), different latencies.
TEST(ClusterFabricTest, FabricChangesTimingNotResults) {
  RunOptions base = Config("twisted16.textproto");
  base.fidelity = Fidelity::kAnalytic;
  const auto reference = RunOnce(base);
  ASSERT_TRUE(reference.golden.match);
  std::vector<RunOptions> variants;
  {
    RunOptions o = base;  // regular torus, dimension order
    o.fabric.topology.kind = fabric::TopologyKind::kTorus;
    o.fabric.network.routing = fabric::RoutingAlgorithm::kAuto;
    variants.push_back(o);
  }
  {
    RunOptions o = base;  // store-and-forward, one packet per message
    o.fabric.network.flow_control = fabric::FlowControl::kStoreAndForward;
    o.fabric.network.mtu_bytes = 4096;
    o.fabric.network.buffer_flits = 0;  // default: room for whole packets
    variants.push_back(o);
  }
  {
    RunOptions o = base;  // mesh: no wrap links, longer routes
    o.fabric.topology.kind = fabric::TopologyKind::kMesh;
    o.fabric.network.routing = fabric::RoutingAlgorithm::kAuto;
    variants.push_back(o);
  }
  for (size_t v = 0; v < variants.size(); ++v) {
    const auto out = RunOnce(variants[v]);
    ASSERT_TRUE(out.golden.match) << "variant " << v;
    ASSERT_EQ(out.merged.tokens.size(), reference.merged.tokens.size());
    bool timing_differs = false;
    for (size_t i = 0; i < out.merged.tokens.size(); ++i) {
      EXPECT_EQ(out.merged.tokens[i].final_h, reference.merged.tokens[i].final_h) << "variant " << v << " token " << i;
      timing_differs |= out.merged.tokens[i].end_ps != reference.merged.tokens[i].end_ps;
    }
    EXPECT_TRUE(timing_differs) << "variant " << v << " should change some token's timing";
  }
}

// Messages above the MTU travel as several packets; every one is delivered exactly once and
// the per-link bytes equal the delivered flits' bytes.
TEST(ClusterFabricTest, SplitMessagesAreCountedAndConserved) {
  RunOptions o = Config("twisted16.textproto");
  o.fidelity = Fidelity::kAnalytic;
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match);
  const auto& f = out.merged.fabric;
  const uint64_t jobs = out.merged.job_totals.jobs;
  EXPECT_EQ(f.messages, 2 * jobs) << "one dispatch and one result per job";
  // Dispatch 65 bytes -> 2 packets of <= 64; result 128 bytes -> 2 packets.
  EXPECT_EQ(f.packets, 4 * jobs);
  uint64_t link_packets = 0, link_bytes = 0;
  for (const auto& l : out.merged.links) {
    link_packets += l.packets;
    link_bytes += l.bytes;
  }
  EXPECT_EQ(link_packets, f.packet_hops);
  EXPECT_GT(f.message_latency_max_ps, 0u);
  EXPECT_GE(f.message_latency_sum_ps, f.packet_latency_sum_ps / 2);
  // Every packet on a link carries its header and 1..64 payload bytes.
  const uint64_t header = o.fabric.network.header_bytes;
  EXPECT_LE(link_bytes, f.packet_hops * (header + o.fabric.network.mtu_bytes));
  EXPECT_GE(link_bytes, f.packet_hops * (header + 1));
}

// Two OCS rewirings while tokens are in flight: every token finishes with the golden bits,
// both reconfigurations are reported with their down time and the traffic they delayed.
TEST(ClusterFabricTest, OcsRewiringMidRunIsLossless) {
  RunOptions o = Config("ocs16.textproto");
  o.fidelity = Fidelity::kAnalytic;
  const auto out = RunOnce(o);
  ASSERT_TRUE(out.golden.match);
  ASSERT_EQ(out.merged.reconfigs.size(), 2u);
  for (const auto& r : out.merged.reconfigs) {
    EXPECT_LE(r.begin_ps, r.drained_ps);
    EXPECT_GE(r.installed_ps, r.drained_ps + o.fabric.network.ocs_switch_ps);
    EXPECT_GT(r.affected_links, 0u);
  }
  EXPECT_EQ(out.merged.reconfigs[0].begin_ps, 10'000'000u);
  EXPECT_GT(out.merged.reconfigs[0].delayed_packets + out.merged.reconfigs[1].delayed_packets, 0u)
      << "some traffic should have waited for the optical links";
  RunOptions still = o;
  still.fabric.network.reconfigurations.clear();
  const auto calm = RunOnce(still);
  ASSERT_TRUE(calm.golden.match);
  EXPECT_GT(out.merged.tokens.back().end_ps, 0u);
  Tick sum_rewired = 0, sum_calm = 0;
  for (const auto& t : out.merged.tokens) sum_rewired += t.end_ps - t.start_ps;
  for (const auto& t : calm.merged.tokens) sum_calm += t.end_ps - t.start_ps;
  EXPECT_GT(sum_rewired, sum_calm) << "links down for microseconds must cost latency";
}

}  // namespace
}  // namespace moefab
