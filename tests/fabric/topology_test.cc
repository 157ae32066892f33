// Topologies and routing tables: link pairing, meshes, twisted tori, OCS-wired cubes, the
// validation messages, and route properties over seeds and shapes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "fabric/routing.h"
#include "fabric/topology.h"
#include "fabric/torus.h"

namespace moefab::fabric {
namespace {

TopologyOptions Torus(std::vector<std::uint32_t> dims, TopologyKind kind = TopologyKind::kTorus) {
  TopologyOptions o;
  o.kind = kind;
  o.dims = std::move(dims);
  return o;
}

// Every link has its reverse on the same port pair, so credits can travel back.
void ExpectPaired(const Topology& t) {
  for (NodeId n = 0; n < t.num_nodes(); ++n) {
    for (PortId p = 0; p < t.num_ports(); ++p) {
      const OutLink& l = t.Out(n, p);
      if (!l.present) continue;
      const OutLink& r = t.Out(l.dst, l.dst_port);
      ASSERT_TRUE(r.present) << Topology::PortName(n, p);
      EXPECT_EQ(r.dst, n) << Topology::PortName(n, p);
      EXPECT_EQ(r.dst_port, p) << Topology::PortName(n, p);
    }
  }
}

std::string ErrorOf(const TopologyOptions& o) {
  try {
    Topology::Make(o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TopologyTest, TorusMatchesTheCoordinateHelpersNeighbours) {
  for (const auto& dims : std::vector<std::vector<std::uint32_t>>{{5}, {2, 3}, {4, 4}, {3, 1, 4}}) {
    const Topology t = Topology::Make(Torus(dims));
    const fabric::Torus helper = fabric::Torus::Make(dims);
    ExpectPaired(t);
    for (NodeId n = 0; n < t.num_nodes(); ++n) {
      for (PortId p = 0; p < t.num_ports(); ++p) {
        EXPECT_EQ(t.HasLink(n, p), helper.HasLink(n, p));
        if (t.HasLink(n, p)) {
          EXPECT_EQ(t.Out(n, p).dst, helper.Neighbor(n, p));
        }
      }
    }
  }
}

TEST(TopologyTest, DatelinesAreTheWrapLinks) {
  const Topology ring = Topology::Make(Torus({6}));
  for (NodeId n = 0; n < 6; ++n) {
    EXPECT_EQ(ring.Out(n, 0).dateline, n == 5);  // + wrap 5 -> 0
    EXPECT_EQ(ring.Out(n, 1).dateline, n == 0);  // - wrap 0 -> 5
  }
}

TEST(TopologyTest, MeshHasNoWrapLinks) {
  const Topology t = Topology::Make(Torus({4, 3}, TopologyKind::kMesh));
  ExpectPaired(t);
  EXPECT_EQ(t.num_present_links(), 2u * (3 * 3 + 4 * 2));  // (k-1) links per row, both ways
  EXPECT_FALSE(t.HasLink(3, 0));
  EXPECT_FALSE(t.HasLink(0, 1));
  const RoutingTable r = RoutingTable::Build(t);
  EXPECT_EQ(r.Diameter(), 3u + 2u);
}

TEST(TopologyTest, TwistedTorusShiftsWrapLinksAndShortensDistances) {
  TopologyOptions o = Torus({4, 4, 8}, TopologyKind::kTwistedTorus);
  const Topology t = Topology::Make(o);
  ExpectPaired(t);
  ASSERT_EQ(t.options().twists.size(), 2u);  // TPU v4 default: x and y wraps shifted by 4 along z
  // (3, 1, 2) + x wrap -> (0, 1, 6).
  const NodeId from = 3 + 4 * (1 + 4 * 2);
  EXPECT_EQ(t.Out(from, 0).dst, 0u + 4 * (1 + 4 * 6));
  const RoutingTable twisted = RoutingTable::Build(t);
  const RoutingTable regular = RoutingTable::Build(Topology::Make(Torus({4, 4, 8})));
  EXPECT_DOUBLE_EQ(regular.AverageDistance(), 1.0 + 1.0 + 2.0);
  EXPECT_LT(twisted.AverageDistance(), regular.AverageDistance());
  EXPECT_LE(twisted.Diameter(), regular.Diameter());
  RecordProperty("twisted_4x4x8_average_hops", std::to_string(twisted.AverageDistance()));
  RecordProperty("twisted_4x4x8_diameter", std::to_string(twisted.Diameter()));
}

TEST(TopologyTest, OcsCubeHas96FacePortsAndTorusWiringGivesTheTorus) {
  TopologyOptions o;
  o.kind = TopologyKind::kOcsCubes;
  o.cube_dims = {4, 4, 4};
  o.num_cubes = 2;
  o.optical = {50000, 20000};
  o.ocs = OcsTorusWiring({4, 4, 4}, {1, 1, 2});
  const Topology t = Topology::Make(o);
  EXPECT_EQ(t.num_face_ports(), 96u);
  EXPECT_EQ(o.ocs.size(), 2u * 96 / 2);  // every face port of both cubes, once
  ExpectPaired(t);
  std::uint32_t optical = 0;
  for (NodeId n = 0; n < t.num_nodes(); ++n) {
    for (PortId p = 0; p < t.num_ports(); ++p) {
      if (t.HasLink(n, p) && t.Out(n, p).link_class == LinkClass::kOptical) {
        ++optical;
        EXPECT_EQ(t.Out(n, p).latency_ps, 20000u);
      }
    }
  }
  EXPECT_EQ(optical, 2u * 96);
  const RoutingTable r = RoutingTable::Build(t);
  EXPECT_DOUBLE_EQ(r.AverageDistance(), 1.0 + 1.0 + 2.0);  // a 4x4x8 torus
  EXPECT_EQ(r.Diameter(), 2u + 2u + 4u);
}

TEST(TopologyTest, ValidationNamesFieldValueAndExpectation) {
  EXPECT_EQ(ErrorOf(Torus({4, 0})), "topology.dims[1]=0: expected >= 1 node per dimension");
  EXPECT_EQ(ErrorOf(Torus({})), "topology.dims=(none) (0 dimensions): expected 1 to 3 dimensions");
  TopologyOptions lat = Torus({4});
  lat.link.latency_ps = 0;
  EXPECT_NE(ErrorOf(lat).find("topology.link.latency_ps=0: expected > 0"), std::string::npos);
  TopologyOptions bw = Torus({4});
  bw.link.bandwidth_mbytes_per_s = 0;
  EXPECT_EQ(ErrorOf(bw), "topology.link.bandwidth_mbytes_per_s=0: expected > 0 (TPU v4 ICI: 50000)");
  TopologyOptions tw = Torus({4, 4, 4}, TopologyKind::kTwistedTorus);
  EXPECT_NE(ErrorOf(tw).find("topology.twists=(none): dims 4x4x4 have no TPU v4 default twist"), std::string::npos);
  tw.twists = {{0, 0, 1}};
  EXPECT_NE(ErrorOf(tw).find("topology.twists[0].along=0"), std::string::npos);
  TopologyOptions ocs;
  ocs.kind = TopologyKind::kOcsCubes;
  ocs.cube_dims = {2, 2, 2};
  ocs.num_cubes = 2;
  ocs.ocs = {{0, 0, 1, 1}, {0, 0, 1, 2}};
  EXPECT_NE(ErrorOf(ocs).find("topology.ocs[1]=cube 0 face port 0 used again"), std::string::npos);
  ocs.ocs = {{0, 24, 1, 1}};
  EXPECT_EQ(ErrorOf(ocs), "topology.ocs[0].port_a=24: expected a face port < 24");
  ocs.ocs = {{2, 0, 1, 1}};
  EXPECT_EQ(ErrorOf(ocs), "topology.ocs[0].cube_a=2: expected < num_cubes=2");
  // Disconnected wiring: two cubes with no circuits between them.
  ocs.ocs = {};
  try {
    RoutingTable::Build(Topology::Make(ocs));
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach node"), std::string::npos) << e.what();
  }
}

// Property: on every shape, routes (DOR and tables) are minimal, loop-free and within the
// diameter; the table's distances equal the hop counts of the coordinate helper (torus.h) on tori.
class RouteProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RouteProperty, EveryRouteArrivesWithinTheDiameter) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  SplitMix64 rng(seed);
  const std::vector<TopologyOptions> shapes = {Torus({7}),
                                               Torus({8}),
                                               Torus({4, 4}),
                                               Torus({3, 5}),
                                               Torus({2, 3, 4}),
                                               Torus({4, 3}, TopologyKind::kMesh),
                                               Torus({4, 8}, TopologyKind::kTwistedTorus),
                                               Torus({2, 2, 4}, TopologyKind::kTwistedTorus)};
  for (const TopologyOptions& o : shapes) {
    const Topology t = Topology::Make(o);
    const RoutingTable table = RoutingTable::Build(t);
    for (int i = 0; i < 200; ++i) {
      const auto src = static_cast<NodeId>(rng.Next() % t.num_nodes());
      const auto dst = static_cast<NodeId>(rng.Next() % t.num_nodes());
      // Table route.
      NodeId at = src;
      std::uint32_t hops = 0;
      while (at != dst) {
        const PortId p = table.NextHop(at, dst);
        ASSERT_TRUE(t.HasLink(at, p));
        EXPECT_EQ(table.Distance(t.Out(at, p).dst, dst) + 1, table.Distance(at, dst));
        at = t.Out(at, p).dst;
        ASSERT_LE(++hops, table.Diameter());
      }
      EXPECT_EQ(hops, table.Distance(src, dst));
      if (!t.SupportsDimensionOrder()) continue;
      // DOR route: minimal as well.
      at = src;
      hops = 0;
      while (at != dst) {
        const PortId p = DorPort(t, at, dst, src);
        ASSERT_TRUE(t.HasLink(at, p));
        at = t.Out(at, p).dst;
        ASSERT_LE(++hops, table.Diameter());
      }
      EXPECT_EQ(hops, table.Distance(src, dst));
      if (t.kind() == TopologyKind::kTorus) {
        EXPECT_EQ(hops, fabric::Torus::Make(o.dims).HopCount(src, dst));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RouteProperty, ::testing::Values(1, 7, 42, 2024));

TEST(RoutingTest, DorTieSplitsBySourceParity) {
  const Topology ring = Topology::Make(Torus({8}));
  EXPECT_EQ(DorPort(ring, 0, 4, 0), 0u);  // even source: +
  EXPECT_EQ(DorPort(ring, 1, 5, 1), 1u);  // odd source: -
  EXPECT_EQ(DorPort(ring, 2, 6, 1), 1u);  // decided by the source, not the current node
}

TEST(RoutingTest, AverageHopCountMatchesTheKaryNcubeClosedForm) {
  // Dally & Towles sec. 3.3: n * k / 4 for even k, n * (k^2 - 1) / (4k) for odd k.
  EXPECT_DOUBLE_EQ(RoutingTable::Build(Topology::Make(Torus({8, 8}))).AverageDistance(), 4.0);
  EXPECT_DOUBLE_EQ(RoutingTable::Build(Topology::Make(Torus({5, 5, 5}))).AverageDistance(), 3 * 24.0 / 20.0);
  EXPECT_DOUBLE_EQ(RoutingTable::Build(Topology::Make(Torus({16}))).AverageDistance(), 4.0);
}

}  // namespace
}  // namespace moefab::fabric
