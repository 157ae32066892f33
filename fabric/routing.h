// Routing: dimension-order routing (DOR) on regular tori and meshes, and shortest-path tables
// with a deterministic tie-break for any other wiring (twisted tori, OCS-wired cubes, after a
// rewiring).
//
// The tables come from a breadth-first search from every destination (links are bidirectional
// pairs, so distances to a destination equal distances from it). For each (node, destination)
// they keep the distance and the set of productive ports (those whose far end is one hop
// closer); the deterministic route takes the lowest productive port, minimal adaptive routing
// chooses among them (see network.h). Memory: 3 bytes per ordered pair (N^2), built once per
// wiring. Pure: no time, no traffic state.
#pragma once

#include <cstdint>
#include <vector>

#include "fabric/topology.h"

namespace moefab::fabric {

enum class RoutingAlgorithm : std::uint8_t {
  kAuto = 0,               // DOR on torus/mesh, shortest-path table otherwise
  kDimensionOrder = 1,     // torus and mesh only
  kShortestPathTable = 2,  // any wiring; lowest productive port
  kMinimalAdaptive = 3,    // any wiring; the productive port with most downstream credits
};

/// Dimension-order port: lowest dimension with a non-zero offset first, shortest way round.
/// On a torus tie (even k, offset k/2) the packet goes + when its source's coordinate in that
/// dimension is even and - otherwise, so that both directions carry the same load (the
/// channel-load bound of Dally & Towles sec. 3.3 assumes this split). kLocalPort at dst.
PortId DorPort(const Topology& topology, NodeId at, NodeId dst, NodeId src);

/// Whether the DOR path from `at` in dimension `dim` through `port` crosses that dimension's
/// dateline (the wrap link) before reaching dst's coordinate. Torus only.
bool DorCrossesDateline(const Topology& topology, NodeId at, NodeId dst, PortId port);

/// All-pairs shortest paths of one wiring.
class RoutingTable {
 public:
  /// Builds the tables. Throws ConfigError naming two nodes if the wiring is disconnected.
  static RoutingTable Build(const Topology& topology);

  std::uint32_t num_nodes() const { return num_nodes_; }
  /// Hops on a shortest path from `from` to `to`.
  std::uint32_t Distance(NodeId from, NodeId to) const { return dist_[Index(from, to)]; }
  /// Bit p set: port p of `at` starts a shortest path to dst. 0 when at == dst.
  std::uint32_t NextHopMask(NodeId at, NodeId dst) const { return mask_[Index(at, dst)]; }
  /// The lowest productive port, or kLocalPort when at == dst.
  PortId NextHop(NodeId at, NodeId dst) const;
  /// Largest distance over all pairs.
  std::uint32_t Diameter() const { return diameter_; }
  /// Mean distance over all N^2 ordered pairs (self pairs included, as in the k-ary n-cube
  /// closed form).
  double AverageDistance() const { return average_; }

 private:
  std::size_t Index(NodeId a, NodeId b) const { return static_cast<std::size_t>(a) * num_nodes_ + b; }

  std::uint32_t num_nodes_ = 0;      // nodes
  std::vector<std::uint16_t> dist_;  // from * N + to: hops
  std::vector<std::uint8_t> mask_;   // from * N + to: productive ports (at most 6 ports)
  std::uint32_t diameter_ = 0;       // hops
  double average_ = 0;               // hops
};

}  // namespace moefab::fabric
