// Expert placement: which expert chips (torus nodes) hold each (layer, expert), and which
// replica a token uses.
//
// Models: an explicit map (layer, expert) -> replica nodes, the round-robin strategy, its
// validation, the slots of a chip (SlotsOn, in order: a chip's slot index) and the nearest
// replica by hop count (ties: lower node id). The other strategies are in
// placement_strategies.h, replica choice in replica_choice.h, placement files in
// placement_file.h. Omits: re-placement during a run. Pure; hop distances come in as a
// function so this layer does not depend on fabric/.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "core/types.h"

namespace moefab::router {

/// (layer, expert) -> replicas (node ids); flat index layer * num_experts + expert.
struct Placement {
  std::uint32_t num_layers = 0;               // MoE layers
  std::uint32_t num_experts = 0;              // routed experts per layer
  std::vector<std::vector<NodeId>> replicas;  // by flat index; nodes holding a copy

  /// Nodes holding (layer, expert); both must be in range.
  const std::vector<NodeId>& Replicas(std::uint32_t layer, std::uint32_t expert) const;
  /// Slots per node: the (layer, expert) pairs `node` holds, ordered by flat index; useful
  /// for building chips. A node listed twice for one pair holds two slots of it.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> SlotsOn(NodeId node) const;
};

/// Round-robin over the expert chips in the given order: flat index i -> expert_nodes[i % n],
/// one replica each. Throws ConfigError if num_layers, num_experts or expert_nodes is empty.
Placement RoundRobinPlacement(std::uint32_t num_layers, std::uint32_t num_experts,
                              std::span<const NodeId> expert_nodes);

/// Validation for an explicit placement: replicas has num_layers * num_experts entries,
/// every (layer, expert) has >= 1 replica, and every node is in `expert_nodes`. Throws one
/// ConfigError listing every problem (up to 20), each naming the layer, expert and node.
void ValidatePlacement(const Placement& placement, std::span<const NodeId> expert_nodes);

/// Replica choice: the replica with the fewest hops from `home` per `hops(home, replica)`;
/// ties -> lowest node id. `replicas` must not be empty. Pure.
NodeId ChooseNearestReplica(std::span<const NodeId> replicas, NodeId home,
                            const std::function<std::uint32_t(NodeId, NodeId)>& hops);

}  // namespace moefab::router
