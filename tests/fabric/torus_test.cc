// Torus topology and DOR routing: hop counts against BFS on the torus graph, route lengths,
// diameter, average hop count against the closed form and the enumerated mean.
#include "fabric/torus.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "core/error.h"

namespace moefab::fabric {
namespace {

std::string ShapeName(const std::vector<std::uint32_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

// Hop distances from `src` by breadth-first search over the links that exist.
std::vector<std::uint32_t> BfsDistances(const Torus& t, NodeId src) {
  std::vector<std::uint32_t> dist(t.num_nodes(), ~0u);
  std::deque<NodeId> frontier{src};
  dist[src] = 0;
  while (!frontier.empty()) {
    const NodeId n = frontier.front();
    frontier.pop_front();
    for (PortId p = 0; p < t.num_ports(); ++p) {
      if (!t.HasLink(n, p)) continue;
      const NodeId m = t.Neighbor(n, p);
      if (dist[m] == ~0u) {
        dist[m] = dist[n] + 1;
        frontier.push_back(m);
      }
    }
  }
  return dist;
}

class TorusShapeTest : public ::testing::TestWithParam<std::vector<std::uint32_t>> {
 protected:
  Torus torus_ = Torus::Make(GetParam());  // the shape under test
};

TEST_P(TorusShapeTest, CoordAndNodeAreInverse) {
  for (NodeId n = 0; n < torus_.num_nodes(); ++n) {
    const auto c = torus_.Coord(n);
    EXPECT_EQ(torus_.Node(c), n);
    for (std::uint32_t d = torus_.num_dims(); d < kMaxTorusDims; ++d) EXPECT_EQ(c[d], 0u);
  }
}

TEST_P(TorusShapeTest, NodeIdIsXPlusK0TimesYPlusK1TimesZ) {
  const auto& k = torus_.dims();
  const std::uint32_t k0 = k[0];
  const std::uint32_t k1 = k.size() > 1 ? k[1] : 1;
  for (NodeId n = 0; n < torus_.num_nodes(); ++n) {
    const auto c = torus_.Coord(n);
    EXPECT_EQ(c[0] + k0 * (c[1] + k1 * c[2]), n);
  }
}

TEST_P(TorusShapeTest, NeighborsAreInverseAcrossPortPairs) {
  for (NodeId n = 0; n < torus_.num_nodes(); ++n) {
    for (PortId p = 0; p < torus_.num_ports(); ++p) {
      const PortId back = p ^ 1u;  // + <-> - in the same dimension
      EXPECT_EQ(torus_.Neighbor(torus_.Neighbor(n, p), back), n) << "node " << n << " port " << p;
      EXPECT_EQ(torus_.HasLink(n, p), torus_.dims()[p / 2] >= 2);
      EXPECT_EQ(torus_.LinkIndex(n, p), n * torus_.num_ports() + p);
    }
  }
  EXPECT_EQ(torus_.num_links(), torus_.num_nodes() * torus_.num_ports());
}

TEST_P(TorusShapeTest, HopCountEqualsBfsDistanceForAllPairs) {
  for (NodeId s = 0; s < torus_.num_nodes(); ++s) {
    const auto dist = BfsDistances(torus_, s);
    for (NodeId d = 0; d < torus_.num_nodes(); ++d) {
      ASSERT_EQ(torus_.HopCount(s, d), dist[d]) << "src " << s << " dst " << d;
    }
  }
}

TEST_P(TorusShapeTest, DorPathLengthEqualsHopCountAndStaysWithinDiameter) {
  std::uint32_t max_hops = 0;
  for (NodeId s = 0; s < torus_.num_nodes(); ++s) {
    for (NodeId d = 0; d < torus_.num_nodes(); ++d) {
      NodeId at = s;
      std::uint32_t hops = 0;
      std::uint32_t last_dim = 0;
      for (PortId p = torus_.RouteDor(at, d); p != kLocalPort; p = torus_.RouteDor(at, d)) {
        ASSERT_TRUE(torus_.HasLink(at, p)) << "src " << s << " dst " << d << " at " << at;
        ASSERT_GE(p / 2, last_dim) << "dimension order violated, src " << s << " dst " << d;
        last_dim = p / 2;
        at = torus_.Neighbor(at, p);
        ++hops;
        ASSERT_LE(hops, torus_.Diameter()) << "src " << s << " dst " << d;
      }
      EXPECT_EQ(at, d);
      EXPECT_EQ(hops, torus_.HopCount(s, d)) << "src " << s << " dst " << d;
      max_hops = std::max(max_hops, hops);
    }
  }
  EXPECT_EQ(max_hops, torus_.Diameter());
}

TEST_P(TorusShapeTest, AverageHopCountMatchesClosedFormAndEnumeration) {
  double closed_form = 0.0;
  for (std::uint32_t k : torus_.dims()) {
    const double kd = k;
    closed_form += (k % 2 == 0) ? kd / 4.0 : (kd * kd - 1.0) / (4.0 * kd);
  }
  std::uint64_t total_hops = 0;
  for (NodeId s = 0; s < torus_.num_nodes(); ++s) {
    for (NodeId d = 0; d < torus_.num_nodes(); ++d) total_hops += torus_.HopCount(s, d);
  }
  const double n = torus_.num_nodes();
  const double enumerated = static_cast<double>(total_hops) / (n * n);
  EXPECT_NEAR(torus_.AverageHopCountUniform(), closed_form, 1e-12);
  EXPECT_NEAR(torus_.AverageHopCountUniform(), enumerated, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, TorusShapeTest,
    ::testing::Values(std::vector<std::uint32_t>{5}, std::vector<std::uint32_t>{8},
                      std::vector<std::uint32_t>{2, 2}, std::vector<std::uint32_t>{4, 4},
                      std::vector<std::uint32_t>{3, 5}, std::vector<std::uint32_t>{2, 3, 4},
                      std::vector<std::uint32_t>{4, 4, 4}, std::vector<std::uint32_t>{1},
                      std::vector<std::uint32_t>{4, 1, 3}, std::vector<std::uint32_t>{2}),
    [](const ::testing::TestParamInfo<std::vector<std::uint32_t>>& shape) {
      return "k" + ShapeName(shape.param);
    });

TEST(TorusTest, DorTieOnEvenRingGoesPlus) {
  const Torus ring = Torus::Make({8});
  EXPECT_EQ(ring.RouteDor(0, 4), 0u);   // distance 4 = k/2 both ways: +
  EXPECT_EQ(ring.RouteDor(6, 2), 0u);   // 6 -> 2 is also 4 both ways: +
  EXPECT_EQ(ring.RouteDor(0, 5), 1u);   // 3 hops the - way
  EXPECT_EQ(ring.RouteDor(0, 3), 0u);
  EXPECT_EQ(ring.RouteDor(3, 3), kLocalPort);
}

TEST(TorusTest, DorGoesLowestDimensionFirst) {
  const Torus t = Torus::Make({4, 4});
  const NodeId src = t.Node({0, 0, 0});
  const NodeId dst = t.Node({1, 3, 0});
  EXPECT_EQ(t.RouteDor(src, dst), 0u);                  // x first, +
  EXPECT_EQ(t.RouteDor(t.Node({1, 0, 0}), dst), 3u);    // then y, - (1 hop round the back)
}

TEST(TorusTest, SizeTwoDimensionHasTwoDistinctLinksToTheSameNode) {
  const Torus t = Torus::Make({2});
  EXPECT_EQ(t.Neighbor(0, 0), 1u);
  EXPECT_EQ(t.Neighbor(0, 1), 1u);
  EXPECT_TRUE(t.HasLink(0, 0));
  EXPECT_TRUE(t.HasLink(0, 1));
  EXPECT_NE(t.LinkIndex(0, 0), t.LinkIndex(0, 1));
  EXPECT_EQ(t.RouteDor(0, 1), 0u);  // tie at k/2 = 1 goes +
}

TEST(TorusTest, SizeOneDimensionHasNoLinks) {
  const Torus t = Torus::Make({3, 1});
  EXPECT_EQ(t.num_ports(), 4u);
  EXPECT_FALSE(t.HasLink(0, 2));
  EXPECT_FALSE(t.HasLink(0, 3));
  EXPECT_EQ(t.Neighbor(1, 2), 1u);
  EXPECT_EQ(t.Diameter(), 1u);
}

TEST(TorusTest, TextbookFigures) {
  const Torus t = Torus::Make({4, 4, 4});
  EXPECT_EQ(t.num_nodes(), 64u);
  EXPECT_EQ(t.num_ports(), 6u);
  EXPECT_EQ(t.num_links(), 384u);
  EXPECT_EQ(t.Diameter(), 6u);
  EXPECT_DOUBLE_EQ(t.AverageHopCountUniform(), 3.0);
  EXPECT_DOUBLE_EQ(Torus::Make({5}).AverageHopCountUniform(), 24.0 / 20.0);
}

void ExpectConfigError(std::vector<std::uint32_t> dims, const std::string& expected_substr) {
  try {
    (void)Torus::Make(std::move(dims));
    FAIL() << "expected ConfigError containing '" << expected_substr << "'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(expected_substr), std::string::npos) << e.what();
  }
}

TEST(TorusTest, MakeRejectsBadDimsWithClearMessage) {
  ExpectConfigError({}, "torus dims: 0 dimensions given ((none)); expected 1 to 3");
  ExpectConfigError({2, 2, 2, 2}, "torus dims: 4 dimensions given (2x2x2x2); expected 1 to 3");
  ExpectConfigError({4, 0, 2}, "torus dims[1]=0 (4x0x2): each dimension needs >= 1 node");
  ExpectConfigError({65536, 65536, 2}, "expected fewer than 2^32 links");
}

}  // namespace
}  // namespace moefab::fabric
