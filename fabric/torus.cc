#include "fabric/torus.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>

#include "core/error.h"

namespace moefab::fabric {
namespace {

std::string DimsToString(const std::vector<std::uint32_t>& dims) {
  std::ostringstream os;
  for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? "x" : "") << dims[i];
  return dims.empty() ? std::string("(none)") : os.str();
}

// Signed ring offset (dst - src) mod k, in [0, k).
std::uint32_t RingDelta(std::uint32_t src, std::uint32_t dst, std::uint32_t k) {
  return dst >= src ? dst - src : dst + k - src;
}

}  // namespace

Torus Torus::Make(std::vector<std::uint32_t> dims) {
  if (dims.empty() || dims.size() > kMaxTorusDims) {
    std::ostringstream os;
    os << "torus dims: " << dims.size() << " dimensions given (" << DimsToString(dims) << "); expected 1 to "
       << kMaxTorusDims;
    throw ConfigError(os.str());
  }
  std::uint64_t nodes = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) {
      std::ostringstream os;
      os << "torus dims[" << i << "]=0 (" << DimsToString(dims) << "): each dimension needs >= 1 node";
      throw ConfigError(os.str());
    }
    // Saturate so that three huge dimensions cannot wrap the 64-bit product.
    nodes = std::min<std::uint64_t>(nodes * dims[i], std::uint64_t{1} << 40);
  }
  // Link indices are node * num_ports + port in 32 bits.
  const std::uint64_t links = nodes * 2 * dims.size();
  if (links > std::uint64_t{0xFFFFFFFF}) {
    std::ostringstream os;
    os << "torus dims " << DimsToString(dims)
       << ": too many links (num_nodes * 2 * num_dims); expected fewer than 2^32 links";
    throw ConfigError(os.str());
  }
  return Torus(std::move(dims));
}

Torus::Torus(std::vector<std::uint32_t> dims) : dims_(std::move(dims)), num_nodes_(1) {
  for (std::uint32_t k : dims_) num_nodes_ *= k;
}

std::array<std::uint32_t, kMaxTorusDims> Torus::Coord(NodeId node) const {
  MOEFAB_CHECK(node < num_nodes_, "node " << node << " out of range, num_nodes=" << num_nodes_);
  std::array<std::uint32_t, kMaxTorusDims> c{};
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    c[i] = node % dims_[i];
    node /= dims_[i];
  }
  return c;
}

NodeId Torus::Node(std::array<std::uint32_t, kMaxTorusDims> coord) const {
  NodeId node = 0;
  for (std::size_t i = kMaxTorusDims; i-- > 0;) {
    const std::uint32_t k = i < dims_.size() ? dims_[i] : 1;
    MOEFAB_CHECK(coord[i] < k, "coord[" << i << "]=" << coord[i] << " out of range, k=" << k);
    node = node * k + coord[i];
  }
  return node;
}

NodeId Torus::Neighbor(NodeId node, PortId port) const {
  MOEFAB_CHECK(port < num_ports(), "port " << port << " out of range, num_ports=" << num_ports());
  auto c = Coord(node);
  const std::uint32_t d = port / 2;
  const std::uint32_t k = dims_[d];
  c[d] = (port % 2 == 0) ? (c[d] + 1) % k : (c[d] + k - 1) % k;
  return Node(c);
}

bool Torus::HasLink(NodeId node, PortId port) const {
  MOEFAB_CHECK(node < num_nodes_, "node " << node << " out of range, num_nodes=" << num_nodes_);
  return port < num_ports() && dims_[port / 2] >= 2;
}

std::uint32_t Torus::HopCount(NodeId src, NodeId dst) const {
  const auto a = Coord(src);
  const auto b = Coord(dst);
  std::uint32_t hops = 0;
  for (std::uint32_t d = 0; d < num_dims(); ++d) {
    const std::uint32_t fwd = RingDelta(a[d], b[d], dims_[d]);
    hops += std::min(fwd, dims_[d] - fwd);
  }
  return hops;
}

std::uint32_t Torus::LinkIndex(NodeId node, PortId port) const {
  MOEFAB_CHECK(node < num_nodes_ && port < num_ports(), "link (node " << node << ", port " << port << ") out of range");
  return node * num_ports() + port;
}

}  // namespace moefab::fabric
