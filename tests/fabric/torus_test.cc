// Torus coordinates: coordinates and node ids, neighbours, hop counts against BFS on the torus
// graph, the largest and the mean hop count against the closed forms.
#include "fabric/torus.h"

#include <gtest/gtest.h>

#include <algorithm>
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
}

TEST_P(TorusShapeTest, HopCountEqualsBfsDistanceForAllPairs) {
  for (NodeId s = 0; s < torus_.num_nodes(); ++s) {
    const auto dist = BfsDistances(torus_, s);
    for (NodeId d = 0; d < torus_.num_nodes(); ++d) {
      ASSERT_EQ(torus_.HopCount(s, d), dist[d]) << "src " << s << " dst " << d;
    }
  }
}

// Dally & Towles, "Principles and Practices of Interconnection Networks", sec. 3.3: per
// dimension the largest distance is floor(k / 2), the mean k / 4 for even k and (k^2 - 1) / (4k)
// for odd k (over all ordered pairs, src == dst included).
TEST_P(TorusShapeTest, LargestAndMeanHopCountMatchTheClosedForms) {
  std::uint32_t diameter = 0;
  double closed_form = 0.0;
  for (std::uint32_t k : torus_.dims()) {
    const double kd = k;
    diameter += k / 2;
    closed_form += (k % 2 == 0) ? kd / 4.0 : (kd * kd - 1.0) / (4.0 * kd);
  }
  std::uint64_t total_hops = 0;
  std::uint32_t max_hops = 0;
  for (NodeId s = 0; s < torus_.num_nodes(); ++s) {
    for (NodeId d = 0; d < torus_.num_nodes(); ++d) {
      total_hops += torus_.HopCount(s, d);
      max_hops = std::max(max_hops, torus_.HopCount(s, d));
    }
  }
  const double n = torus_.num_nodes();
  EXPECT_EQ(max_hops, diameter);
  EXPECT_NEAR(static_cast<double>(total_hops) / (n * n), closed_form, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Shapes, TorusShapeTest,
                         ::testing::Values(std::vector<std::uint32_t>{5}, std::vector<std::uint32_t>{8},
                                           std::vector<std::uint32_t>{2, 2}, std::vector<std::uint32_t>{4, 4},
                                           std::vector<std::uint32_t>{3, 5}, std::vector<std::uint32_t>{2, 3, 4},
                                           std::vector<std::uint32_t>{4, 4, 4}, std::vector<std::uint32_t>{1},
                                           std::vector<std::uint32_t>{4, 1, 3}, std::vector<std::uint32_t>{2}),
                         [](const ::testing::TestParamInfo<std::vector<std::uint32_t>>& shape) {
                           return "k" + ShapeName(shape.param);
                         });

TEST(TorusTest, SizeTwoDimensionHasTwoDistinctLinksToTheSameNode) {
  const Torus t = Torus::Make({2});
  EXPECT_EQ(t.Neighbor(0, 0), 1u);
  EXPECT_EQ(t.Neighbor(0, 1), 1u);
  EXPECT_TRUE(t.HasLink(0, 0));
  EXPECT_TRUE(t.HasLink(0, 1));
  EXPECT_NE(t.LinkIndex(0, 0), t.LinkIndex(0, 1));
  EXPECT_EQ(t.HopCount(0, 1), 1u);
}

TEST(TorusTest, SizeOneDimensionHasNoLinks) {
  const Torus t = Torus::Make({3, 1});
  EXPECT_EQ(t.num_ports(), 4u);
  EXPECT_FALSE(t.HasLink(0, 2));
  EXPECT_FALSE(t.HasLink(0, 3));
  EXPECT_EQ(t.Neighbor(1, 2), 1u);
  EXPECT_EQ(t.HopCount(0, 1), 1u);
  EXPECT_EQ(t.HopCount(0, 2), 1u);  // round the back of the 3-ring
}

TEST(TorusTest, TextbookFigures) {
  const Torus t = Torus::Make({4, 4, 4});
  EXPECT_EQ(t.num_nodes(), 64u);
  EXPECT_EQ(t.num_ports(), 6u);
  EXPECT_EQ(t.LinkIndex(63, 5), 383u);                              // 384 directed links
  EXPECT_EQ(t.HopCount(t.Node({0, 0, 0}), t.Node({2, 2, 2})), 6u);  // the diameter
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
