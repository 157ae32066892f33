// Topology: nodes, ports and directed links with per-link bandwidth and latency, for the
// wirings the fabric models: ring and k1 x k2 x k3 torus, mesh (no wrap links), twisted torus
// (the wrap links of one dimension shifted along another, TPU v4's k x k x 2k slices), and
// OCS-wired blocks (cubes whose face ports are paired through optical circuit switches by a
// permutation given in the options; ISCA'23 TPU v4: 4x4x4 cubes, 96 optical ports each).
//
// Every node has 2 * D ports (D = number of dimensions; port p is dimension p / 2, direction
// + for even p, - for odd p). Links are bidirectional pairs: output port p of node a reaches
// input port q of node b exactly when output q of b reaches input p of a, so credits for the
// link into (b, q) travel back on the reverse link (b, q) -> (a, p). A port with no link
// (a mesh edge, a size-1 dimension, an unconnected OCS face port) has `present == false`.
// Immutable after Make; holds no time and no traffic state. Routing lives in routing.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace moefab::fabric {

/// An output port of a router. Port p is in dimension p / 2, direction + if p % 2 == 0 and
/// - otherwise.
using PortId = std::uint32_t;

/// "Deliver to the chip at this node": the ejection port routing returns at the destination.
inline constexpr PortId kLocalPort = ~0u;

/// Most dimensions a topology (a torus, a mesh, an OCS cube) may have.
inline constexpr std::uint32_t kMaxTorusDims = 3;

enum class TopologyKind : std::uint8_t {
  kTorus = 0,         // k1 x k2 x k3 with wrap links (a ring is a 1-dimensional torus)
  kMesh = 1,          // no wrap links
  kTwistedTorus = 2,  // torus whose wrap links in some dimensions are shifted (see Twist)
  kOcsCubes = 3,      // cubes with internal mesh links; face ports paired through OCS
};

enum class LinkClass : std::uint8_t {
  kElectrical = 0,  // torus/mesh links and links inside an OCS cube
  kOptical = 1,     // a face-to-face circuit through an optical circuit switch
};

/// Timing of one class of links.
struct LinkTiming {
  std::uint64_t bandwidth_mbytes_per_s = 50000;  // per direction, MB/s; TPU v4 ICI: 50000
  Tick latency_ps = 10000;                       // one-way wire latency, ps; must be > 0
};

/// The wrap links of dimension `dim` are shifted by `shift` along dimension `along`: the +
/// wrap link of (.., x_dim = k-1, .., x_along, ..) reaches (.., 0, .., (x_along + shift) mod
/// k_along, ..). TPU v4 twists k x k x 2k as {0, 2, k} and {1, 2, k}.
struct Twist {
  std::uint32_t dim = 0;    // dimension whose wrap links are twisted
  std::uint32_t along = 0;  // dimension along which they are shifted (!= dim)
  std::uint32_t shift = 0;  // shift in nodes, < dims[along]
};

/// One optical circuit: face port `port_a` of cube `cube_a` <-> face port `port_b` of cube
/// `cube_b` (both directions). Face ports are numbered per cube, see FacePort below.
struct OcsConnection {
  std::uint32_t cube_a = 0;
  std::uint32_t port_a = 0;
  std::uint32_t cube_b = 0;
  std::uint32_t port_b = 0;
};

struct TopologyOptions {
  TopologyKind kind = TopologyKind::kTorus;
  std::vector<std::uint32_t> dims;  // torus/mesh/twisted: nodes per dimension, 1 to 3 entries
  std::vector<Twist> twists;        // twisted torus only; empty = TPU v4 default for k x k x 2k
  LinkTiming link;                  // torus/mesh/twisted: every link; OCS: links inside cubes
  // OCS-wired cubes only.
  std::vector<std::uint32_t> cube_dims;  // nodes per dimension of one cube, e.g. {4, 4, 4}
  std::uint32_t num_cubes = 0;           // cubes; node id = cube * cube_size + local id
  LinkTiming optical;                    // timing of OCS circuits
  std::vector<OcsConnection> ocs;        // the permutation; each face port at most once
};

/// A directed link leaving output `port` of a node. Also describes the input side: the link
/// enters `dst` through its input port `dst_port`.
struct OutLink {
  bool present = false;                      // false: no link on this port
  NodeId dst = kNoNode;                      // node at the far end
  PortId dst_port = 0;                       // input port at the far end (= its reverse output)
  std::uint64_t bandwidth_mbytes_per_s = 0;  // MB/s per direction
  Tick latency_ps = 0;                       // one-way wire latency, ps
  LinkClass link_class = LinkClass::kElectrical;
  bool dateline = false;  // torus/twisted: a wrap link (crosses the dateline)
};

/// Face port numbering of an OCS cube with dims k0 x k1 x k2: faces in the order (dim 0, +),
/// (dim 0, -), (dim 1, +), ...; within a face, the nodes in node-id order. The + face of
/// dimension d holds the nodes with x_d = k_d - 1 (their + port leaves the cube), the - face
/// those with x_d = 0. A 4x4x4 cube has 6 faces of 16 ports: 96 face ports.
struct FacePort {
  std::uint32_t dim = 0;  // dimension
  bool plus = true;       // + face (x_d = k_d - 1, port 2d) or - face (x_d = 0, port 2d+1)
  NodeId local_node = 0;  // node id within the cube
};

class Topology {
 public:
  /// Validates (ConfigError naming field, value and expectation) and builds.
  static Topology Make(const TopologyOptions& options);

  const TopologyOptions& options() const { return options_; }
  TopologyKind kind() const { return options_.kind; }
  std::uint32_t num_nodes() const { return num_nodes_; }
  std::uint32_t num_dims() const { return static_cast<std::uint32_t>(dims_.size()); }
  /// Ports per node: 2 * num_dims.
  std::uint32_t num_ports() const { return 2 * num_dims(); }
  /// Torus/mesh/twisted: the shape. OCS: the cube shape.
  const std::vector<std::uint32_t>& dims() const { return dims_; }

  const OutLink& Out(NodeId node, PortId port) const { return out_[node * num_ports() + port]; }
  bool HasLink(NodeId node, PortId port) const { return Out(node, port).present; }
  std::uint32_t num_present_links() const { return num_present_links_; }

  /// Coordinates (within the cube for OCS); entries beyond num_dims are 0.
  const std::array<std::uint32_t, kMaxTorusDims>& Coord(NodeId node) const { return coords_[node]; }
  /// True for kTorus and kMesh: dimension-order routing applies.
  bool SupportsDimensionOrder() const { return kind() == TopologyKind::kTorus || kind() == TopologyKind::kMesh; }
  /// Torus: dimension d has wrap links (k >= 2). Mesh: never.
  bool Wraps(std::uint32_t d) const { return kind() == TopologyKind::kTorus && dims_[d] >= 2; }

  /// Smallest wire latency of any link (the PDES lookahead contribution of the wires).
  Tick MinLinkLatencyPs() const { return min_latency_ps_; }
  /// Smallest bandwidth of any link (MB/s); the traffic driver's cycle is one flit on it.
  std::uint64_t MinBandwidthMbytesPerS() const { return min_bandwidth_; }

  /// "node:port" for error messages, e.g. "12:+x" or "12:-z".
  static std::string PortName(NodeId node, PortId port);

  // OCS helpers (kind kOcsCubes).
  std::uint32_t cube_size() const { return cube_size_; }
  std::uint32_t num_face_ports() const { return static_cast<std::uint32_t>(faces_.size()); }
  const FacePort& Face(std::uint32_t face_port) const { return faces_[face_port]; }

 private:
  Topology() = default;

  TopologyOptions options_;                                       // as given (twists resolved to the default)
  std::vector<std::uint32_t> dims_;                               // shape (cube shape for OCS)
  std::uint32_t num_nodes_ = 0;                                   // nodes
  std::vector<OutLink> out_;                                      // node * num_ports + port
  std::vector<std::array<std::uint32_t, kMaxTorusDims>> coords_;  // per node (cube-local for OCS)
  std::uint32_t num_present_links_ = 0;                           // directed links present
  Tick min_latency_ps_ = 0;                                       // smallest link latency, ps
  std::uint64_t min_bandwidth_ = 0;                               // smallest link bandwidth, MB/s
  std::uint32_t cube_size_ = 0;                                   // OCS: nodes per cube
  std::vector<FacePort> faces_;                                   // OCS: face ports of one cube, by face port id
};

/// Face port id of (dim, plus, local node) in a cube of `cube_dims`; the node must be on that
/// face.
std::uint32_t FacePortId(const std::vector<std::uint32_t>& cube_dims, std::uint32_t dim, bool plus, NodeId local_node);

/// OCS wiring that makes `num_cubes = prod(grid)` cubes into one torus of shape cube_dims *
/// grid (cube (g0, g1, g2) at grid position g0 + grid0 * (g1 + grid1 * g2)), with optional
/// twists given in global coordinates (as TopologyOptions::twists for that global shape).
/// Used to express regular and twisted tori as OCS permutations and to rewire between them.
std::vector<OcsConnection> OcsTorusWiring(const std::vector<std::uint32_t>& cube_dims,
                                          const std::vector<std::uint32_t>& grid,
                                          const std::vector<Twist>& twists = {});

/// The TPU v4 default twists for a k x k x 2k shape: {0, 2, k} and {1, 2, k}. For k x 2k
/// (2D): {0, 1, k}. Empty for any other shape.
std::vector<Twist> DefaultTwists(const std::vector<std::uint32_t>& dims);

}  // namespace moefab::fabric
