#include "fabric/topology.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <utility>

#include "core/error.h"

namespace moefab::fabric {
namespace {

std::string Join(const std::vector<std::uint32_t>& v) {
  std::ostringstream os;
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "x" : "") << v[i];
  return v.empty() ? std::string("(none)") : os.str();
}

[[noreturn]] void Fail(const std::string& field, const std::string& value, const std::string& expected) {
  throw ConfigError("topology." + field + "=" + value + ": " + expected);
}

void ValidateDims(const std::vector<std::uint32_t>& dims, const std::string& field) {
  if (dims.empty() || dims.size() > kMaxTorusDims) {
    Fail(field, Join(dims) + " (" + std::to_string(dims.size()) + " dimensions)", "expected 1 to 3 dimensions");
  }
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) {
      Fail(field + "[" + std::to_string(i) + "]", "0", "expected >= 1 node per dimension");
    }
  }
}

std::uint64_t Product(const std::vector<std::uint32_t>& dims) {
  std::uint64_t n = 1;
  for (auto k : dims) n = std::min<std::uint64_t>(n * k, std::uint64_t{1} << 40);
  return n;
}

void ValidateTiming(const LinkTiming& t, const std::string& field) {
  if (t.bandwidth_mbytes_per_s == 0) {
    Fail(field + ".bandwidth_mbytes_per_s", "0", "expected > 0 (TPU v4 ICI: 50000)");
  }
  if (t.latency_ps == 0) {
    Fail(field + ".latency_ps", "0", "expected > 0 (the wire latency is the PDES lookahead; it cannot be 0)");
  }
}

std::array<std::uint32_t, kMaxTorusDims> CoordOf(NodeId node, const std::vector<std::uint32_t>& dims) {
  std::array<std::uint32_t, kMaxTorusDims> c{};
  for (std::size_t i = 0; i < dims.size(); ++i) {
    c[i] = node % dims[i];
    node /= dims[i];
  }
  return c;
}

NodeId NodeOf(const std::array<std::uint32_t, kMaxTorusDims>& c, const std::vector<std::uint32_t>& dims) {
  NodeId n = 0;
  for (std::size_t i = dims.size(); i-- > 0;) n = n * dims[i] + c[i];
  return n;
}

// The kind, the shape (dims, or cube_dims and num_cubes), the link timings and the link count;
// returns the number of nodes.
std::uint32_t ValidateShape(const TopologyOptions& options) {
  const bool ocs = options.kind == TopologyKind::kOcsCubes;
  if (static_cast<int>(options.kind) > 3) {
    Fail("kind", std::to_string(static_cast<int>(options.kind)), "expected torus, mesh, twisted torus or OCS cubes");
  }
  const std::vector<std::uint32_t>& dims = ocs ? options.cube_dims : options.dims;
  ValidateDims(dims, ocs ? "cube_dims" : "dims");
  ValidateTiming(options.link, "link");
  const std::uint64_t nodes = Product(dims) * (ocs ? options.num_cubes : 1);
  if (ocs) {
    if (options.num_cubes == 0) Fail("num_cubes", "0", "expected >= 1 cube");
    ValidateTiming(options.optical, "optical");
  }
  if (nodes * 2 * dims.size() >= (std::uint64_t{1} << 32)) {
    Fail(ocs ? "num_cubes" : "dims", ocs ? std::to_string(options.num_cubes) : Join(dims),
         "expected fewer than 2^32 directed links");
  }
  return static_cast<std::uint32_t>(nodes);
}

// The twists of a twisted torus (the TPU v4 default when none are given), validated; none for
// the other kinds, which must not set any.
std::vector<Twist> ResolveTwists(const TopologyOptions& options, const std::vector<std::uint32_t>& dims) {
  if (options.kind != TopologyKind::kTwistedTorus) {
    if (!options.twists.empty()) {
      Fail("twists", std::to_string(options.twists.size()) + " entries", "expected none unless kind is twisted torus");
    }
    return options.twists;
  }
  std::vector<Twist> twists = options.twists.empty() ? DefaultTwists(dims) : options.twists;
  if (twists.empty()) {
    Fail("twists", "(none)",
         "dims " + Join(dims) +
             " have no TPU v4 default twist (k x k x 2k or k x 2k); "
             "expected explicit twists");
  }
  std::set<std::uint32_t> seen;
  for (std::size_t i = 0; i < twists.size(); ++i) {
    const Twist& tw = twists[i];
    const std::string f = "twists[" + std::to_string(i) + "]";
    if (tw.dim >= dims.size()) Fail(f + ".dim", std::to_string(tw.dim), "expected < " + std::to_string(dims.size()));
    if (tw.along >= dims.size() || tw.along == tw.dim) {
      Fail(f + ".along", std::to_string(tw.along),
           "expected a dimension < " + std::to_string(dims.size()) + " other than dim " + std::to_string(tw.dim));
    }
    if (tw.shift >= dims[tw.along]) {
      Fail(f + ".shift", std::to_string(tw.shift),
           "expected < dims[" + std::to_string(tw.along) + "]=" + std::to_string(dims[tw.along]));
    }
    if (dims[tw.dim] < 2)
      Fail(f + ".dim", std::to_string(tw.dim), "expected a dimension with >= 2 nodes (one with wrap links)");
    if (!seen.insert(tw.dim).second)
      Fail(f + ".dim", std::to_string(tw.dim), "expected each dimension twisted at most once");
  }
  return twists;
}

// Torus, mesh and twisted torus (twists resolved): the links of every node.
void WireTorus(const TopologyOptions& options, const std::vector<std::uint32_t>& dims, std::uint32_t num_nodes,
               std::vector<OutLink>& out) {
  const auto P = static_cast<std::uint32_t>(2 * dims.size());
  for (NodeId n = 0; n < num_nodes; ++n) {
    const auto c = CoordOf(n, dims);
    for (std::uint32_t d = 0; d < dims.size(); ++d) {
      const std::uint32_t k = dims[d];
      if (k < 2) continue;
      for (int dir = 0; dir < 2; ++dir) {
        const bool plus = dir == 0;
        const bool wrap = plus ? c[d] == k - 1 : c[d] == 0;
        if (wrap && options.kind == TopologyKind::kMesh) continue;
        auto x = c;
        x[d] = plus ? (c[d] + 1) % k : (c[d] + k - 1) % k;
        if (wrap) {
          for (const Twist& tw : options.twists) {
            if (tw.dim != d) continue;
            const std::uint32_t ka = dims[tw.along];
            x[tw.along] = plus ? (x[tw.along] + tw.shift) % ka : (x[tw.along] + ka - tw.shift) % ka;
          }
        }
        OutLink& l = out[n * P + 2 * d + dir];
        l.present = true;
        l.dst = NodeOf(x, dims);
        l.dst_port = 2 * d + (plus ? 1 : 0);
        l.bandwidth_mbytes_per_s = options.link.bandwidth_mbytes_per_s;
        l.latency_ps = options.link.latency_ps;
        l.dateline = wrap;
      }
    }
  }
}

// The face ports of one OCS cube, in id order (see FacePort).
std::vector<FacePort> CubeFaces(const std::vector<std::uint32_t>& dims, std::uint32_t cube_size) {
  std::vector<FacePort> faces;
  for (std::uint32_t d = 0; d < dims.size(); ++d) {
    for (int s = 0; s < 2; ++s) {
      for (NodeId local = 0; local < cube_size; ++local) {
        const auto c = CoordOf(local, dims);
        if (c[d] == (s == 0 ? dims[d] - 1 : 0)) faces.push_back({d, s == 0, local});
      }
    }
  }
  return faces;
}

// OCS: the mesh links inside each cube.
void WireCubeMeshes(const LinkTiming& link, const std::vector<std::uint32_t>& dims, std::uint32_t cube_size,
                    std::uint32_t num_nodes, std::vector<OutLink>& out) {
  const auto P = static_cast<std::uint32_t>(2 * dims.size());
  for (NodeId n = 0; n < num_nodes; ++n) {
    const NodeId base = n - n % cube_size;
    const auto c = CoordOf(n % cube_size, dims);
    for (std::uint32_t d = 0; d < dims.size(); ++d) {
      for (int dir = 0; dir < 2; ++dir) {
        const bool plus = dir == 0;
        if (plus ? c[d] + 1 >= dims[d] : c[d] == 0) continue;
        auto x = c;
        x[d] = plus ? c[d] + 1 : c[d] - 1;
        OutLink& l = out[n * P + 2 * d + dir];
        l.present = true;
        l.dst = base + NodeOf(x, dims);
        l.dst_port = 2 * d + (plus ? 1 : 0);
        l.bandwidth_mbytes_per_s = link.bandwidth_mbytes_per_s;
        l.latency_ps = link.latency_ps;
      }
    }
  }
}

// OCS: the optical circuits of options.ocs, validated (cubes, face ports, a permutation).
void WireOcsCircuits(const TopologyOptions& options, const std::vector<FacePort>& faces, std::uint32_t cube_size,
                     std::uint32_t P, std::vector<OutLink>& out) {
  const auto nf = static_cast<std::uint32_t>(faces.size());
  std::set<std::pair<std::uint32_t, std::uint32_t>> used;
  for (std::size_t i = 0; i < options.ocs.size(); ++i) {
    const OcsConnection& oc = options.ocs[i];
    const std::string f = "ocs[" + std::to_string(i) + "]";
    if (oc.cube_a >= options.num_cubes)
      Fail(f + ".cube_a", std::to_string(oc.cube_a), "expected < num_cubes=" + std::to_string(options.num_cubes));
    if (oc.cube_b >= options.num_cubes)
      Fail(f + ".cube_b", std::to_string(oc.cube_b), "expected < num_cubes=" + std::to_string(options.num_cubes));
    if (oc.port_a >= nf) Fail(f + ".port_a", std::to_string(oc.port_a), "expected a face port < " + std::to_string(nf));
    if (oc.port_b >= nf) Fail(f + ".port_b", std::to_string(oc.port_b), "expected a face port < " + std::to_string(nf));
    if (oc.cube_a == oc.cube_b && oc.port_a == oc.port_b) {
      Fail(f, "cube " + std::to_string(oc.cube_a) + " port " + std::to_string(oc.port_a) + " to itself",
           "expected two different face ports");
    }
    for (auto [cube, port] : {std::pair{oc.cube_a, oc.port_a}, std::pair{oc.cube_b, oc.port_b}}) {
      if (!used.insert({cube, port}).second) {
        Fail(f, "cube " + std::to_string(cube) + " face port " + std::to_string(port) + " used again",
             "expected each face port in at most one connection (a permutation)");
      }
    }
    const FacePort& fa = faces[oc.port_a];
    const FacePort& fb = faces[oc.port_b];
    const NodeId a = oc.cube_a * cube_size + fa.local_node;
    const NodeId b = oc.cube_b * cube_size + fb.local_node;
    const PortId pa = 2 * fa.dim + (fa.plus ? 0 : 1);
    const PortId pb = 2 * fb.dim + (fb.plus ? 0 : 1);
    const std::array<std::array<std::uint32_t, 4>, 2> ends{{{a, pa, b, pb}, {b, pb, a, pa}}};
    for (const auto& [u, pu, v, pv] : ends) {
      OutLink& l = out[u * P + pu];
      l.present = true;
      l.dst = v;
      l.dst_port = pv;
      l.bandwidth_mbytes_per_s = options.optical.bandwidth_mbytes_per_s;
      l.latency_ps = options.optical.latency_ps;
      l.link_class = LinkClass::kOptical;
    }
  }
}

}  // namespace

std::vector<Twist> DefaultTwists(const std::vector<std::uint32_t>& dims) {
  if (dims.size() == 2 && dims[0] >= 2 && dims[1] == 2 * dims[0]) return {{0, 1, dims[0]}};
  if (dims.size() == 3 && dims[0] >= 2 && dims[0] == dims[1] && dims[2] == 2 * dims[0]) {
    return {{0, 2, dims[0]}, {1, 2, dims[0]}};
  }
  return {};
}

std::uint32_t FacePortId(const std::vector<std::uint32_t>& cube_dims, std::uint32_t dim, bool plus, NodeId local_node) {
  const std::uint64_t size = Product(cube_dims);
  std::uint32_t offset = 0;
  for (std::uint32_t d = 0; d < dim; ++d) offset += 2 * static_cast<std::uint32_t>(size / cube_dims[d]);
  const auto face = static_cast<std::uint32_t>(size / cube_dims[dim]);
  if (!plus) offset += face;
  // Position within the face: the node's id with coordinate `dim` removed.
  auto c = CoordOf(local_node, cube_dims);
  MOEFAB_CHECK(c[dim] == (plus ? cube_dims[dim] - 1 : 0),
               "node " << local_node << " is not on face " << dim << (plus ? "+" : "-"));
  std::uint32_t pos = 0;
  for (std::size_t i = cube_dims.size(); i-- > 0;) {
    if (i == dim) continue;
    pos = pos * cube_dims[i] + c[i];
  }
  return offset + pos;
}

std::vector<OcsConnection> OcsTorusWiring(const std::vector<std::uint32_t>& cube_dims,
                                          const std::vector<std::uint32_t>& grid, const std::vector<Twist>& twists) {
  ValidateDims(cube_dims, "cube_dims");
  ValidateDims(grid, "ocs_grid");
  if (grid.size() != cube_dims.size()) {
    Fail("ocs_grid", Join(grid), "expected as many dimensions as cube_dims " + Join(cube_dims));
  }
  std::vector<std::uint32_t> global(cube_dims.size());
  for (std::size_t d = 0; d < cube_dims.size(); ++d) global[d] = cube_dims[d] * grid[d];
  const auto cube_size = static_cast<std::uint32_t>(Product(cube_dims));
  const auto num_cubes = static_cast<std::uint32_t>(Product(grid));
  std::vector<OcsConnection> out;
  for (std::uint32_t cube = 0; cube < num_cubes; ++cube) {
    const auto g = CoordOf(cube, grid);
    for (NodeId local = 0; local < cube_size; ++local) {
      const auto lc = CoordOf(local, cube_dims);
      for (std::uint32_t d = 0; d < cube_dims.size(); ++d) {
        if (lc[d] != cube_dims[d] - 1) continue;  // only + faces start a connection
        std::array<std::uint32_t, kMaxTorusDims> x{};
        for (std::size_t i = 0; i < cube_dims.size(); ++i) x[i] = g[i] * cube_dims[i] + lc[i];
        // Global + neighbour, with the twist if this is the global wrap link.
        const bool wrap = x[d] == global[d] - 1;
        x[d] = (x[d] + 1) % global[d];
        if (wrap) {
          for (const Twist& t : twists) {
            if (t.dim == d) x[t.along] = (x[t.along] + t.shift) % global[t.along];
          }
        }
        std::array<std::uint32_t, kMaxTorusDims> g2{}, l2{};
        for (std::size_t i = 0; i < cube_dims.size(); ++i) {
          g2[i] = x[i] / cube_dims[i];
          l2[i] = x[i] % cube_dims[i];
        }
        const NodeId local_b = NodeOf(l2, cube_dims);
        out.push_back(
            {cube, FacePortId(cube_dims, d, true, local), NodeOf(g2, grid), FacePortId(cube_dims, d, false, local_b)});
      }
    }
  }
  return out;
}

std::string Topology::PortName(NodeId node, PortId port) {
  static const char kAxis[] = {'x', 'y', 'z'};
  std::ostringstream os;
  os << node << ':' << (port % 2 == 0 ? '+' : '-');
  if (port / 2 < 3) {
    os << kAxis[port / 2];
  } else {
    os << 'd' << port / 2;
  }
  return os.str();
}

Topology Topology::Make(const TopologyOptions& options) {
  Topology t;
  t.options_ = options;
  const bool ocs = options.kind == TopologyKind::kOcsCubes;
  t.num_nodes_ = ValidateShape(options);
  t.dims_ = ocs ? options.cube_dims : options.dims;
  t.options_.twists = ResolveTwists(options, t.dims_);
  t.out_.assign(static_cast<std::size_t>(t.num_nodes_) * t.num_ports(), OutLink{});
  if (!ocs) {
    WireTorus(t.options_, t.dims_, t.num_nodes_, t.out_);
  } else {
    t.cube_size_ = static_cast<std::uint32_t>(Product(t.dims_));
    t.faces_ = CubeFaces(t.dims_, t.cube_size_);
    WireCubeMeshes(options.link, t.dims_, t.cube_size_, t.num_nodes_, t.out_);
    WireOcsCircuits(options, t.faces_, t.cube_size_, t.num_ports(), t.out_);
  }
  t.coords_.resize(t.num_nodes_);
  for (NodeId n = 0; n < t.num_nodes_; ++n) t.coords_[n] = CoordOf(ocs ? n % t.cube_size_ : n, t.dims_);
  t.min_latency_ps_ = kTickMax;
  t.min_bandwidth_ = ~std::uint64_t{0};
  for (const OutLink& l : t.out_) {
    if (!l.present) continue;
    ++t.num_present_links_;
    t.min_latency_ps_ = std::min(t.min_latency_ps_, l.latency_ps);
    t.min_bandwidth_ = std::min(t.min_bandwidth_, l.bandwidth_mbytes_per_s);
  }
  if (t.num_present_links_ == 0) {
    t.min_latency_ps_ = options.link.latency_ps;
    t.min_bandwidth_ = options.link.bandwidth_mbytes_per_s;
  }
  return t;
}

}  // namespace moefab::fabric
