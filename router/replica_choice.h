// Replica choice at dispatch: which copy of a replicated expert a token's job goes to.
//
// Models three policies, each using only what the token's home chip knows (so the choice is
// the same for any rank count): nearest (fewest hops; ties -> lower node id), least loaded
// (fewest jobs this home has outstanding at the replica's chip; ties -> nearer, then lower
// id), and round-robin (per (layer, expert), cycling through the replicas in node order).
// Omits: global load information (it would need a broadcast the chips do not have).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "core/types.h"

namespace moefab::router {

enum class ReplicaPolicy : uint8_t { kNearest = 0, kLeastLoaded = 1, kRoundRobin = 2 };

const char* ReplicaPolicyName(ReplicaPolicy p);

class ReplicaChooser {
 public:
  ReplicaChooser(ReplicaPolicy policy, NodeId home, std::function<uint32_t(NodeId, NodeId)> hops);

  /// Picks a replica of the expert with flat index `expert_index` and records the dispatch.
  NodeId Choose(uint32_t expert_index, std::span<const NodeId> replicas);
  /// A job dispatched to `chip` has come back (least-loaded bookkeeping).
  void Completed(NodeId chip);

  /// Checkpoints (core/state_archive.h): what the dispatches so far changed.
  template <class Ar>
  void Archive(Ar& ar) {
    ar(outstanding_, hops_cache_, next_);
  }

 private:
  uint32_t Outstanding(NodeId chip) const;
  uint32_t Hops(NodeId chip);  // hops_(home_, chip), asked once per chip
  static constexpr uint32_t kUnknown = ~0u;

  ReplicaPolicy policy_;
  NodeId home_;                                   // the attention chip this chooser serves
  std::function<uint32_t(NodeId, NodeId)> hops_;  // hop distance
  std::vector<uint32_t> outstanding_;             // per chip: jobs from this home in flight
  std::vector<uint32_t> hops_cache_;              // per chip: hops from home, or kUnknown
  std::map<uint32_t, uint32_t> next_;             // round-robin position per expert
};

}  // namespace moefab::router
