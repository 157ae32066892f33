// Torus topology: a k-ary n-cube (1 to 3 dimensions, wrap-around links in every dimension of
// size >= 2) with dimension-order routing (DOR).
//
// Models: node numbering, per-node output ports, neighbours, minimal DOR routes with a fixed
// tie-break, hop counts and the textbook uniform-traffic figures (diameter, average hops).
// Omits: meshes (no wrap), twisted tori, OCS-rewired cubes, routing tables for irregular
// wiring and deadlock avoidance (datelines/bubbles), which belong with finite buffers
// (issue 4). Holds no time and no state beyond the shape: the runtime's engine asks it where
// a packet goes next; link timing lives in fabric/link.h.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/types.h"

namespace moefab::fabric {

/// An output port of a router. Port p is in dimension p / 2, direction + if p % 2 == 0 and
/// - otherwise.
using PortId = std::uint32_t;

/// "Deliver to the chip at this node": the ejection port returned by RouteDor at the
/// destination.
inline constexpr PortId kLocalPort = ~0u;

/// Most dimensions a Torus may have.
inline constexpr std::uint32_t kMaxTorusDims = 3;

/// A k0 x k1 x k2 torus (1 to 3 dimensions, each of size >= 1). Node id = x + k0*(y + k1*z).
/// A dimension of size 1 has no links (HasLink is false for its ports). In a dimension of
/// size 2 the + and - neighbours are the same node but are two distinct links (ports), as
/// in a physical 2-ring with two cables. Immutable after Make; cheap to copy.
class Torus {
 public:
  /// Validates and builds. Throws ConfigError on 0 or more than 3 dimensions, on a
  /// dimension of size 0, or when the node or link count does not fit in 32 bits.
  static Torus Make(std::vector<std::uint32_t> dims);

  std::uint32_t num_nodes() const { return num_nodes_; }
  std::uint32_t num_dims() const { return static_cast<std::uint32_t>(dims_.size()); }
  const std::vector<std::uint32_t>& dims() const { return dims_; }
  /// 2 * num_dims: one + and one - port per dimension (present or not, see HasLink).
  std::uint32_t num_ports() const { return 2 * num_dims(); }

  /// Coordinates of a node; entries for dimensions beyond num_dims are 0.
  std::array<std::uint32_t, kMaxTorusDims> Coord(NodeId node) const;
  /// Inverse of Coord. Each coordinate must be < its dimension (0 for absent dimensions).
  NodeId Node(std::array<std::uint32_t, kMaxTorusDims> coord) const;

  /// The node at the far end of `port` of `node` (wrap-around). For a dimension of size 1
  /// this is `node` itself, although there is no link (HasLink is false).
  NodeId Neighbor(NodeId node, PortId port) const;
  /// True if `port` of `node` is a real link: false for dimensions of size 1.
  bool HasLink(NodeId node, PortId port) const;

  /// Dimension-order routing: lowest dimension first, shortest way round; on a tie (even k,
  /// distance k/2) go +. kLocalPort when at == dst. The returned port always has a link.
  PortId RouteDor(NodeId at, NodeId dst) const;
  /// Minimal hops: sum over dimensions of min(d, k - d), d = (dst - src) mod k.
  std::uint32_t HopCount(NodeId src, NodeId dst) const;

  /// Dense index of a directed output link: node * num_ports + port.
  std::uint32_t LinkIndex(NodeId node, PortId port) const;
  /// num_nodes * num_ports, counting absent links (HasLink false) so LinkIndex stays dense.
  std::uint32_t num_links() const { return num_nodes_ * num_ports(); }

  /// Largest HopCount over all pairs: sum over dimensions of floor(k / 2).
  std::uint32_t Diameter() const;
  /// Mean HopCount over all num_nodes^2 ordered (src, dst) pairs, src == dst included.
  /// Closed form per dimension: k / 4 for even k, (k^2 - 1) / (4k) for odd k (Dally &
  /// Towles, "Principles and Practices of Interconnection Networks", sec. 3.3).
  double AverageHopCountUniform() const;

 private:
  explicit Torus(std::vector<std::uint32_t> dims);

  std::vector<std::uint32_t> dims_;  // nodes per dimension (ring size k), 1..3 entries
  std::uint32_t num_nodes_ = 0;      // product of dims_
};

}  // namespace moefab::fabric
