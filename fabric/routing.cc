#include "fabric/routing.h"

#include <bit>
#include <string>

#include "core/error.h"

namespace moefab::fabric {

PortId DorPort(const Topology& topology, NodeId at, NodeId dst, NodeId src) {
  if (at == dst) return kLocalPort;
  const auto& a = topology.Coord(at);
  const auto& b = topology.Coord(dst);
  const auto& dims = topology.dims();
  for (std::uint32_t d = 0; d < dims.size(); ++d) {
    if (a[d] == b[d]) continue;
    if (!topology.Wraps(d)) return a[d] < b[d] ? 2 * d : 2 * d + 1;
    const std::uint32_t k = dims[d];
    const std::uint32_t fwd = b[d] >= a[d] ? b[d] - a[d] : b[d] + k - a[d];
    if (fwd != k - fwd) return fwd < k - fwd ? 2 * d : 2 * d + 1;
    return topology.Coord(src)[d] % 2 == 0 ? 2 * d : 2 * d + 1;
  }
  MOEFAB_CHECK(false, "DOR found no port from " << at << " to " << dst);
  return kLocalPort;
}

bool DorCrossesDateline(const Topology& topology, NodeId at, NodeId dst, PortId port) {
  const std::uint32_t d = port / 2;
  if (!topology.Wraps(d)) return false;
  const auto& a = topology.Coord(at);
  const auto& b = topology.Coord(dst);
  // Going + the wrap link k-1 -> 0 lies ahead iff the target coordinate is below ours; going -
  // the wrap 0 -> k-1 lies ahead iff it is above.
  return port % 2 == 0 ? b[d] < a[d] : b[d] > a[d];
}

PortId RoutingTable::NextHop(NodeId at, NodeId dst) const {
  const std::uint32_t m = NextHopMask(at, dst);
  return m == 0 ? kLocalPort : static_cast<PortId>(std::countr_zero(m));
}

RoutingTable RoutingTable::Build(const Topology& topology) {
  RoutingTable t;
  const std::uint32_t n = topology.num_nodes();
  const std::uint32_t ports = topology.num_ports();
  MOEFAB_CHECK(ports <= 8, "routing masks hold 8 ports, topology has " << ports);
  t.num_nodes_ = n;
  constexpr std::uint16_t kUnreached = 0xFFFF;
  t.dist_.assign(static_cast<std::size_t>(n) * n, kUnreached);
  t.mask_.assign(static_cast<std::size_t>(n) * n, 0);
  std::vector<NodeId> queue(n);
  std::vector<std::uint16_t> d(n);
  double total = 0;
  for (NodeId dst = 0; dst < n; ++dst) {
    std::fill(d.begin(), d.end(), kUnreached);
    d[dst] = 0;
    std::size_t head = 0, tail = 0;
    queue[tail++] = dst;
    while (head < tail) {
      const NodeId u = queue[head++];
      for (PortId p = 0; p < ports; ++p) {
        const OutLink& l = topology.Out(u, p);
        if (!l.present || d[l.dst] != kUnreached) continue;
        MOEFAB_CHECK(d[u] + 1 < kUnreached, "distance overflow");
        d[l.dst] = static_cast<std::uint16_t>(d[u] + 1);
        queue[tail++] = l.dst;
      }
    }
    for (NodeId u = 0; u < n; ++u) {
      if (d[u] == kUnreached) {
        throw ConfigError("topology: node " + std::to_string(u) + " cannot reach node " + std::to_string(dst) +
                          ": expected a connected wiring (check dims, twists or the OCS "
                          "permutation)");
      }
      t.dist_[t.Index(u, dst)] = d[u];
      total += d[u];
      t.diameter_ = std::max<std::uint32_t>(t.diameter_, d[u]);
      std::uint8_t m = 0;
      for (PortId p = 0; p < ports; ++p) {
        const OutLink& l = topology.Out(u, p);
        if (l.present && d[l.dst] + 1 == d[u]) m = static_cast<std::uint8_t>(m | (1u << p));
      }
      t.mask_[t.Index(u, dst)] = m;
    }
  }
  t.average_ = total / (static_cast<double>(n) * n);
  return t;
}

}  // namespace moefab::fabric
