// What a run computes from its validated settings before the first event: the routing table
// (SYNTHETIC / TRACE sources), the expected load of every (layer, expert), the placement with
// its replicas, every expert's weight format, and the one fabric instance (built once: the
// topology-aware placement measures hops on it, the run drives it). Identical on every rank.
//
// MakePlan checks what only the plan can check (a trace that does not fit the model, a
// placement file, replicas on chips of different formats, every chip's weight capacity) and
// throws one ConfigError naming the config file, the field, the value and what was expected.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "chips/expert_engine.h"
#include "fabric/network.h"
#include "router/placement.h"
#include "router/routing_trace.h"
#include "runtime/config/options.h"

namespace moefab {

struct ClusterPlan {
  /// SYNTHETIC / TRACE: the routing of every (token, layer), generated or read once; null
  /// for GATE routing.
  std::shared_ptr<const router::RoutingTrace> routing_table;
  std::vector<double> expected_load;               // per (layer, expert) flat: jobs per token
  router::Placement placement;                     // (layer, expert) -> replica nodes
  std::vector<chips::WeightFormat> expert_format;  // per (layer, expert) flat: its chips' format
  /// The fabric: built once here; a run drives it (so a plan serves one run).
  std::shared_ptr<fabric::Network> network;

  /// Expert slots placed (replicas included).
  [[nodiscard]] uint64_t num_slots() const;
};

/// Builds the plan of `options` (collectively identical on every rank). Throws ConfigError.
ClusterPlan MakePlan(const RunOptions& options);

}  // namespace moefab
