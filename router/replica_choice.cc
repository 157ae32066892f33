#include "router/replica_choice.h"

#include <algorithm>
#include <tuple>

#include "core/error.h"

namespace moefab::router {

const char* ReplicaPolicyName(ReplicaPolicy p) {
  switch (p) {
    case ReplicaPolicy::kNearest:
      return "NEAREST";
    case ReplicaPolicy::kLeastLoaded:
      return "LEAST_LOADED";
    case ReplicaPolicy::kRoundRobin:
      return "ROUND_ROBIN";
  }
  return "?";
}

ReplicaChooser::ReplicaChooser(ReplicaPolicy policy, NodeId home, std::function<uint32_t(NodeId, NodeId)> hops)
    : policy_(policy), home_(home), hops_(std::move(hops)) {}

NodeId ReplicaChooser::Choose(uint32_t expert_index, std::span<const NodeId> replicas) {
  MOEFAB_CHECK(!replicas.empty(), "expert " << expert_index << " has no replica");
  NodeId pick = replicas[0];
  if (replicas.size() > 1) {
    switch (policy_) {
      case ReplicaPolicy::kRoundRobin: {
        // Cycle in node order, whatever order the placement lists them in.
        std::vector<NodeId> sorted(replicas.begin(), replicas.end());
        std::sort(sorted.begin(), sorted.end());
        uint32_t& next = next_[expert_index];
        pick = sorted[next % sorted.size()];
        ++next;
        break;
      }
      case ReplicaPolicy::kNearest:
      case ReplicaPolicy::kLeastLoaded: {
        auto key = [&](NodeId n) {
          const uint32_t load = policy_ == ReplicaPolicy::kLeastLoaded ? Outstanding(n) : 0;
          return std::tuple(load, Hops(n), n);
        };
        auto best = key(pick);
        for (NodeId n : replicas)
          if (const auto k = key(n); k < best) {
            best = k;
            pick = n;
          }
        break;
      }
    }
  }
  if (pick >= outstanding_.size()) outstanding_.resize(pick + 1, 0);
  ++outstanding_[pick];
  return pick;
}

void ReplicaChooser::Completed(NodeId chip) {
  MOEFAB_CHECK(chip < outstanding_.size() && outstanding_[chip] > 0,
               "completion from chip " << chip << " with no job outstanding");
  --outstanding_[chip];
}

uint32_t ReplicaChooser::Outstanding(NodeId chip) const {
  return chip < outstanding_.size() ? outstanding_[chip] : 0;
}

uint32_t ReplicaChooser::Hops(NodeId chip) {
  if (chip >= hops_cache_.size()) hops_cache_.resize(chip + 1, kUnknown);
  if (hops_cache_[chip] == kUnknown) hops_cache_[chip] = hops_(home_, chip);
  return hops_cache_[chip];
}

}  // namespace moefab::router
