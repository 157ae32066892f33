// Placement strategies: which chips hold which (layer, expert), with replicas of hot experts,
// and the metrics a user compares them by. Pure; hop distances come in as a function.
//
// Models:
// - layer-blocked: chips hold consecutive layers (the flat layer-major list is cut into
//   contiguous, equal runs), so a chip's slots come from as few layers as possible;
// - load-balanced with replicas (DeepSeek EPLB's global policy): per layer, add replicas one
//   at a time to the expert with the largest load per replica until the extra slots are used,
//   then pack the replicas (load = expert load / replicas) onto chips, heaviest first, each on
//   the lightest chip that still has a free slot for that layer;
// - topology-aware: heaviest (layer, expert) first, each onto the chip with a free slot that
//   minimises the expected hop-bytes from the attention chips (load-weighted), ties -> the
//   lighter chip, then the lower id.
// Omits: EPLB's hierarchical (node-group) policy, re-planning during a run.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "router/placement.h"

namespace moefab::router {

using HopFn = std::function<uint32_t(NodeId, NodeId)>;

/// Expected routed load of every (layer, expert), flat layer-major; any positive scale.
using ExpertLoad = std::vector<double>;

Placement LayerBlockedPlacement(uint32_t num_layers, uint32_t num_experts, std::span<const NodeId> expert_nodes);

/// `extra_replicas_per_layer` slots per layer beyond one per expert. Every chip must offer
/// enough slots: throws ConfigError naming the numbers if (E + extra) * L exceeds
/// slots_per_chip * chips.
Placement LoadBalancedPlacement(uint32_t num_layers, uint32_t num_experts, const ExpertLoad& load,
                                uint32_t extra_replicas_per_layer, std::span<const NodeId> expert_nodes,
                                uint32_t slots_per_chip);

Placement TopologyAwarePlacement(uint32_t num_layers, uint32_t num_experts, const ExpertLoad& load,
                                 std::span<const NodeId> expert_nodes, std::span<const NodeId> attention_nodes,
                                 uint32_t slots_per_chip, const HopFn& hops);

struct PlacementMetrics {
  uint32_t chips_used = 0;        // expert chips holding at least one slot
  uint32_t max_slots = 0;         // most slots on one chip
  double max_load = 0;            // heaviest chip's expected load (replicas share their expert's load)
  double mean_load = 0;           // mean over chips used
  double expected_hops = 0;       // per routed job, from a uniformly chosen attention chip to the nearest replica
  double expected_hop_bytes = 0;  // expected_hops x (dispatch + result bytes) per job
};

PlacementMetrics MeasurePlacement(const Placement& p, const ExpertLoad& load, std::span<const NodeId> expert_nodes,
                                  std::span<const NodeId> attention_nodes, const HopFn& hops, uint64_t bytes_per_job);

}  // namespace moefab::router
