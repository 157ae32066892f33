#include "router/placement.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "core/error.h"

namespace moefab::router {
namespace {

constexpr std::size_t kMaxListedErrors = 20;

}  // namespace

const std::vector<NodeId>& Placement::Replicas(std::uint32_t layer, std::uint32_t expert) const {
  MOEFAB_CHECK(layer < num_layers && expert < num_experts, "placement: (layer " << layer << ", expert " << expert
                                                                                << ") out of range " << num_layers
                                                                                << "x" << num_experts);
  const std::size_t flat = std::size_t{layer} * num_experts + expert;
  MOEFAB_CHECK(flat < replicas.size(), "placement: replicas has " << replicas.size() << " entries, need " << flat + 1);
  return replicas[flat];
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> Placement::SlotsOn(NodeId node) const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> slots;
  for (std::size_t flat = 0; flat < replicas.size(); ++flat) {
    for (NodeId n : replicas[flat]) {
      if (n != node) continue;
      slots.emplace_back(static_cast<std::uint32_t>(flat / num_experts),
                         static_cast<std::uint32_t>(flat % num_experts));
    }
  }
  return slots;
}

Placement RoundRobinPlacement(std::uint32_t num_layers, std::uint32_t num_experts,
                              std::span<const NodeId> expert_nodes) {
  if (num_layers == 0 || num_experts == 0 || expert_nodes.empty()) {
    std::ostringstream os;
    os << "placement: num_layers=" << num_layers << " num_experts=" << num_experts << " with " << expert_nodes.size()
       << " expert chips; expected all >= 1";
    throw ConfigError(os.str());
  }
  Placement p{num_layers, num_experts, {}};
  const std::size_t total = std::size_t{num_layers} * num_experts;
  p.replicas.reserve(total);
  for (std::size_t i = 0; i < total; ++i) {
    p.replicas.push_back({expert_nodes[i % expert_nodes.size()]});
  }
  return p;
}

void ValidatePlacement(const Placement& placement, std::span<const NodeId> expert_nodes) {
  std::vector<std::string> errors;
  const std::size_t expected = std::size_t{placement.num_layers} * placement.num_experts;
  if (placement.replicas.size() != expected) {
    std::ostringstream os;
    os << "placement: replicas has " << placement.replicas.size() << " entries; expected " << expected
       << " (num_layers=" << placement.num_layers << " x num_experts=" << placement.num_experts << ")";
    errors.push_back(os.str());
  }
  std::vector<NodeId> allowed(expert_nodes.begin(), expert_nodes.end());
  std::sort(allowed.begin(), allowed.end());
  const std::size_t n = std::min(expected, placement.replicas.size());
  for (std::size_t flat = 0; flat < n; ++flat) {
    const std::size_t layer = flat / placement.num_experts;
    const std::size_t expert = flat % placement.num_experts;
    const auto& reps = placement.replicas[flat];
    if (reps.empty()) {
      std::ostringstream os;
      os << "placement: layer " << layer << " expert " << expert << ": no replica; expected >= 1 expert chip";
      errors.push_back(os.str());
    }
    for (std::size_t i = 0; i < reps.size(); ++i) {
      const NodeId node = reps[i];
      if (std::find(reps.begin(), reps.begin() + static_cast<std::ptrdiff_t>(i), node) !=
          reps.begin() + static_cast<std::ptrdiff_t>(i)) {
        std::ostringstream os;
        os << "placement: layer " << layer << " expert " << expert << ": node " << node
           << " listed twice; expected distinct chips (one replica per chip)";
        errors.push_back(os.str());
        continue;
      }
      if (std::binary_search(allowed.begin(), allowed.end(), node)) continue;
      std::ostringstream os;
      os << "placement: layer " << layer << " expert " << expert << ": node " << node << " is not an expert chip";
      errors.push_back(os.str());
    }
  }
  if (errors.empty()) return;
  std::ostringstream os;
  os << errors.size() << " placement error" << (errors.size() == 1 ? "" : "s") << ":";
  for (std::size_t i = 0; i < errors.size() && i < kMaxListedErrors; ++i) {
    os << "\n  " << errors[i];
  }
  if (errors.size() > kMaxListedErrors) {
    os << "\n  ... and " << errors.size() - kMaxListedErrors << " more";
  }
  throw ConfigError(os.str());
}

NodeId ChooseNearestReplica(std::span<const NodeId> replicas, NodeId home,
                            const std::function<std::uint32_t(NodeId, NodeId)>& hops) {
  MOEFAB_CHECK(!replicas.empty(), "ChooseNearestReplica: no replicas");
  NodeId best = replicas[0];
  std::uint32_t best_hops = hops(home, best);
  for (std::size_t i = 1; i < replicas.size(); ++i) {
    const NodeId r = replicas[i];
    const std::uint32_t h = hops(home, r);
    if (h < best_hops || (h == best_hops && r < best)) {
      best = r;
      best_hops = h;
    }
  }
  return best;
}

}  // namespace moefab::router
