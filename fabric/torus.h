// Torus coordinates: the node numbering and the neighbours of a regular k-ary n-cube (1 to 3
// dimensions, wrap-around links in every dimension of size >= 2), for code that draws or
// checks a regular torus without building a Network (the run reports, tests).
//
// Models: node id <-> coordinates, per-node output ports and their far ends, a dense link
// index and the minimal hop count. The file holds only this coordinate helper.
// Omits: routing, timing and every other wiring (meshes, twisted tori, OCS cubes): those are
// Topology (fabric/topology.h), DorPort and RoutingTable (fabric/routing.h) and Network
// (fabric/network.h). Holds no time and no state beyond the shape.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/types.h"
#include "fabric/topology.h"

namespace moefab::fabric {

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

  /// Minimal hops: sum over dimensions of min(d, k - d), d = (dst - src) mod k.
  std::uint32_t HopCount(NodeId src, NodeId dst) const;

  /// Dense index of a directed output link: node * num_ports + port (absent links counted).
  std::uint32_t LinkIndex(NodeId node, PortId port) const;

 private:
  explicit Torus(std::vector<std::uint32_t> dims);

  std::vector<std::uint32_t> dims_;  // nodes per dimension (ring size k), 1..3 entries
  std::uint32_t num_nodes_ = 0;      // product of dims_
};

}  // namespace moefab::fabric
