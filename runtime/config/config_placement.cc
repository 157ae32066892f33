// Config placement section -> PlacementOptions: the strategy, explicit entries (checked against
// the model and the chips), replicas, the placement file and the replica policy. The placement
// itself is computed by runtime/plan (ClusterPlan).
#include "runtime/config/config_internal.h"

namespace moefab::config_detail {

namespace {

router::Placement ExplicitPlacement(const pb::Config& c, Problems& p, const RunOptions& out) {
  const auto& m = out.model;
  router::Placement pl;
  pl.num_layers = m.num_layers;
  pl.num_experts = m.experts_per_layer();
  pl.replicas.resize(static_cast<size_t>(m.num_layers) * m.experts_per_layer());
  for (int i = 0; i < c.placement().entries_size(); ++i) {
    const auto& e = c.placement().entries(i);
    const std::string f = "placement.entries[" + std::to_string(i) + "]";
    if (e.layer() >= m.num_layers) {
      p.Add(f + ".layer", e.layer(), "expected < model.num_layers (" + std::to_string(m.num_layers) + ")");
      continue;
    }
    if (e.expert() >= m.experts_per_layer()) {
      p.Add(f + ".expert", e.expert(),
            "expected < model.num_experts + num_shared_experts (" + std::to_string(m.experts_per_layer()) + ")");
      continue;
    }
    auto& reps = pl.replicas[static_cast<size_t>(e.layer()) * m.experts_per_layer() + e.expert()];
    if (!reps.empty())
      p.Add(f, "(layer " + std::to_string(e.layer()) + ", expert " + std::to_string(e.expert()) + ")",
            "expected each (layer, expert) once");
    for (int j = 0; j < e.nodes_size(); ++j) {
      const NodeId n = e.nodes(j);
      const std::string fn = f + ".nodes[" + std::to_string(j) + "]";
      if (n >= out.node_sku.size())
        p.Add(fn, n, "expected a chip that exists (0.." + std::to_string(out.node_sku.size() - 1) + ")");
      else if (out.SkuOf(n).kind != ChipKind::kExpert)
        p.Add(fn, n, "expected an EXPERT chip (chip " + std::to_string(n) + " is " + out.SkuOf(n).name + ")");
      else
        reps.push_back(n);
    }
  }
  return pl;
}

}  // namespace

void ConvertPlacement(const pb::Config& c, Problems& p, RunOptions& out) {
  const auto& pc = c.placement();
  PlacementOptions& o = out.placement;
  switch (pc.replica_policy()) {
    case pb::LEAST_LOADED:
      o.replica_policy = router::ReplicaPolicy::kLeastLoaded;
      break;
    case pb::ROUND_ROBIN_REPLICA:
      o.replica_policy = router::ReplicaPolicy::kRoundRobin;
      break;
    case pb::NEAREST:
      o.replica_policy = router::ReplicaPolicy::kNearest;
      break;
    default:
      p.Add("placement.replica_policy", pc.replica_policy(), "expected NEAREST, LEAST_LOADED or ROUND_ROBIN_REPLICA");
  }
  p.Range("placement.extra_replicas_per_layer", pc.extra_replicas_per_layer(), 0u, limits::kMaxCount);
  p.Range("placement.slots_per_chip", pc.slots_per_chip(), 0u, limits::kMaxCount, "0 = from the weight capacity");
  o.extra_replicas_per_layer = pc.extra_replicas_per_layer();
  o.slots_per_chip = pc.slots_per_chip();
  const auto strategy = pc.strategy();
  if (strategy != pb::EXPLICIT && pc.entries_size() > 0)
    p.Add("placement.entries", pc.entries_size(), "expected no entries unless placement.strategy is EXPLICIT");
  if (strategy != pb::FILE && !pc.file().empty())
    p.Add("placement.file", "\"" + pc.file() + "\"", "expected no file unless placement.strategy is FILE");
  switch (strategy) {
    case pb::ROUND_ROBIN:
      o.strategy = PlacementStrategy::kRoundRobin;
      break;
    case pb::EXPLICIT:
      o.strategy = PlacementStrategy::kExplicit;
      o.explicit_placement = ExplicitPlacement(c, p, out);
      break;
    case pb::LAYER_BLOCKED:
      o.strategy = PlacementStrategy::kLayerBlocked;
      break;
    case pb::LOAD_BALANCED:
      o.strategy = PlacementStrategy::kLoadBalanced;
      break;
    case pb::TOPOLOGY_AWARE:
      o.strategy = PlacementStrategy::kTopologyAware;
      break;
    case pb::FILE:
      o.strategy = PlacementStrategy::kFile;
      if (pc.file().empty())
        p.Add("placement.file", "\"\"", "expected a placement file (written by moefab place) with strategy FILE");
      o.file = RelativeToConfig(out.config_path, pc.file());
      break;
    default:
      p.Add("placement.strategy", strategy, "expected a PlacementStrategy of configs/moefab.proto");
  }
}

}  // namespace moefab::config_detail
