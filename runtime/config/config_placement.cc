// Config placement section: the routing table of SYNTHETIC / TRACE sources, the expected load
// of every (layer, expert), the placement strategy, replica policy and the chips' weight
// capacity ("this model needs N chips of that SKU").
#include <algorithm>
#include <cmath>

#include "fabric/network.h"
#include "router/placement_file.h"
#include "router/placement_strategies.h"
#include "runtime/config/config_internal.h"

namespace moefab::config_detail {

namespace {

// The routing table of SYNTHETIC / TRACE runs, checked against the model.
void LoadRoutingTable(Problems& p, RunOptions& out) {
  auto& r = out.routing;
  if (r.source == RoutingSource::kGate) return;
  try {
    if (r.source == RoutingSource::kSynthetic) {
      r.table = std::make_shared<const router::RoutingTrace>(router::GenerateSyntheticRouting(r.synthetic));
      return;
    }
    auto trace = std::make_shared<const router::RoutingTrace>(router::ReadRoutingTrace(r.trace));
    const auto& m = out.model;
    if (trace->num_layers != m.num_layers || trace->num_experts != m.num_experts || trace->top_k != m.top_k)
      p.AddRaw("routing.trace=" + r.trace + ": layers " + std::to_string(trace->num_layers) +
               " experts " + std::to_string(trace->num_experts) + " top_k " +
               std::to_string(trace->top_k) + ": expected the model's " + std::to_string(m.num_layers) +
               " / " + std::to_string(m.num_experts) + " / " + std::to_string(m.top_k));
    if (trace->num_tokens < out.workload.num_tokens)
      p.AddRaw("routing.trace=" + r.trace + ": " + std::to_string(trace->num_tokens) +
               " tokens: expected at least workload.num_tokens (" +
               std::to_string(out.workload.num_tokens) + ")");
    r.table = std::move(trace);
  } catch (const ConfigError& e) {
    p.AddRaw(std::string("routing: ") + e.what());
  }
}

// Expected jobs per token of every (layer, expert) including shared experts (1 each).
std::vector<double> ExpectedLoad(const RunOptions& out) {
  const auto& m = out.model;
  std::vector<double> load(static_cast<size_t>(m.num_layers) * m.experts_per_layer(),
                           static_cast<double>(m.top_k) / m.num_experts);
  if (out.routing.table) {
    const auto share = router::ExpertLoadOf(*out.routing.table);  // per layer sums to 1
    for (uint32_t l = 0; l < m.num_layers; ++l)
      for (uint32_t e = 0; e < m.num_experts; ++e)
        load[static_cast<size_t>(l) * m.experts_per_layer() + e] =
            share[static_cast<size_t>(l) * m.num_experts + e] * m.top_k;
  }
  for (uint32_t l = 0; l < m.num_layers; ++l)
    for (uint32_t s = 0; s < m.num_shared_experts; ++s)
      load[static_cast<size_t>(l) * m.experts_per_layer() + m.num_experts + s] = 1.0;
  return load;
}

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
      p.Add(f + ".expert", e.expert(), "expected < model.num_experts + num_shared_experts (" + std::to_string(m.experts_per_layer()) + ")");
      continue;
    }
    auto& reps = pl.replicas[static_cast<size_t>(e.layer()) * m.experts_per_layer() + e.expert()];
    if (!reps.empty()) p.Add(f, "(layer " + std::to_string(e.layer()) + ", expert " + std::to_string(e.expert()) + ")", "expected each (layer, expert) once");
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
  LoadRoutingTable(p, out);
  if (!p.empty()) return;
  const auto& m = out.model;
  std::vector<NodeId> expert_nodes, attention_nodes;
  for (NodeId n = 0; n < out.node_sku.size(); ++n)
    (out.SkuOf(n).kind == ChipKind::kExpert ? expert_nodes : attention_nodes).push_back(n);
  if (expert_nodes.empty() || m.num_layers == 0 || m.num_experts == 0) return;
  out.expected_load = ExpectedLoad(out);
  const auto& pc = c.placement();
  switch (pc.replica_policy()) {
    case pb::LEAST_LOADED: out.replica_policy = router::ReplicaPolicy::kLeastLoaded; break;
    case pb::ROUND_ROBIN_REPLICA: out.replica_policy = router::ReplicaPolicy::kRoundRobin; break;
    default: out.replica_policy = router::ReplicaPolicy::kNearest;
  }
  // Weight capacity: each expert slot in the format of its chip.
  const auto bits_of = [&m](chips::WeightFormat f) { return ExpertWeightBits(m, f); };
  const auto format_of_node = [&](NodeId n) { return ExpertFormatOf(m, out.SkuOf(n)); };
  const uint64_t total_slots = static_cast<uint64_t>(m.num_layers) * m.experts_per_layer();
  // Slots a chip offers: the configured limit, else the smallest weight capacity of the expert
  // chips (strategies pack uniform chips), else an even share.
  uint32_t slots_per_chip = pc.slots_per_chip();
  if (slots_per_chip == 0) {
    uint64_t fewest = UINT64_MAX;
    for (NodeId n : expert_nodes)
      if (out.SkuOf(n).weight_capacity_bits > 0)
        fewest = std::min(fewest, out.SkuOf(n).weight_capacity_bits / bits_of(format_of_node(n)));
    slots_per_chip = fewest != UINT64_MAX
                         ? static_cast<uint32_t>(std::min<uint64_t>(fewest, UINT32_MAX))
                         : static_cast<uint32_t>((total_slots + pc.extra_replicas_per_layer() * m.num_layers +
                                                  expert_nodes.size() - 1) / expert_nodes.size());
  }
  const auto strategy = pc.strategy();
  out.placement_strategy = pb::PlacementStrategy_Name(strategy == pb::PLACEMENT_STRATEGY_UNSPECIFIED ? pb::ROUND_ROBIN : strategy);
  if (strategy != pb::EXPLICIT && pc.entries_size() > 0)
    p.Add("placement.entries", pc.entries_size(), "expected no entries unless placement.strategy is EXPLICIT");
  if (strategy != pb::FILE && !pc.file().empty())
    p.Add("placement.file", "\"" + pc.file() + "\"", "expected no file unless placement.strategy is FILE");
  try {
    switch (strategy) {
      case pb::PLACEMENT_STRATEGY_UNSPECIFIED:
      case pb::ROUND_ROBIN:
        out.placement = router::RoundRobinPlacement(m.num_layers, m.experts_per_layer(), expert_nodes);
        break;
      case pb::EXPLICIT: out.placement = ExplicitPlacement(c, p, out); break;
      case pb::LAYER_BLOCKED:
        out.placement = router::LayerBlockedPlacement(m.num_layers, m.experts_per_layer(), expert_nodes);
        break;
      case pb::LOAD_BALANCED:
        out.placement = router::LoadBalancedPlacement(m.num_layers, m.experts_per_layer(), out.expected_load,
                                                      pc.extra_replicas_per_layer(), expert_nodes, slots_per_chip);
        break;
      case pb::TOPOLOGY_AWARE: {
        const auto net = fabric::Network::Make(out.fabric.topology, out.fabric.network);
        out.placement = router::TopologyAwarePlacement(
            m.num_layers, m.experts_per_layer(), out.expected_load, expert_nodes, attention_nodes,
            slots_per_chip, [&net](NodeId a, NodeId b) { return net->Hops(a, b); });
        break;
      }
      case pb::FILE:
        if (pc.file().empty()) {
          p.Add("placement.file", "\"\"", "expected a placement file (written by moefab place) with strategy FILE");
          return;
        }
        out.placement = router::ReadPlacementFile(RelativeToConfig(out.config_path, pc.file()),
                                                  m.num_layers, m.experts_per_layer());
        break;
      default: p.Add("placement.strategy", strategy, "expected a PlacementStrategy of configs/moefab.proto");
    }
  } catch (const ConfigError& e) {
    p.AddRaw(std::string("placement: ") + e.what());
    return;
  }
  if (!p.empty()) return;
  try {
    router::ValidatePlacement(out.placement, expert_nodes);
  } catch (const ConfigError& e) {
    p.AddRaw(std::string("placement: ") + e.what());
    return;
  }
  // The format of every (layer, expert): its chips' SKU format; replicas must agree.
  out.expert_format.assign(out.placement.replicas.size(), m.format);
  for (size_t i = 0; i < out.placement.replicas.size(); ++i) {
    const auto& reps = out.placement.replicas[i];
    out.expert_format[i] = format_of_node(reps.front());
    for (NodeId n : reps)
      if (format_of_node(n) != out.expert_format[i]) {
        p.AddRaw("placement: layer " + std::to_string(i / m.experts_per_layer()) + " expert " +
                 std::to_string(i % m.experts_per_layer()) + " has replicas on chips " +
                 std::to_string(reps.front()) + " (" + chips::WeightFormatName(out.expert_format[i]) +
                 ") and " + std::to_string(n) + " (" + chips::WeightFormatName(format_of_node(n)) +
                 "): expected the replicas of an expert on chips of one weight format");
        break;
      }
    if (m.layout == ModelOptions::Layout::kGptOssMxfp4 && out.expert_format[i] != chips::WeightFormat::kMxfp4) {
      p.AddRaw("skus: a chip of format " + std::string(chips::WeightFormatName(out.expert_format[i])) +
               " holds gpt-oss MXFP4 weights: expected MXFP4 chips with model.weights.layout GPT_OSS_MXFP4");
      break;
    }
  }
  // Every chip's slots must fit its weight capacity; if not, say how many chips would hold it.
  const uint64_t bits_per_expert = bits_of(format_of_node(expert_nodes.front()));
  std::vector<std::string> over;
  for (NodeId n : expert_nodes) {
    const uint64_t cap = out.SkuOf(n).weight_capacity_bits;
    const uint64_t held = out.placement.SlotsOn(n).size() * bits_of(format_of_node(n));
    if (cap > 0 && held > cap && over.size() < 5)
      over.push_back("chip " + std::to_string(n) + " (sku " + out.SkuOf(n).name + "): placement puts " +
                     std::to_string(out.placement.SlotsOn(n).size()) + " experts = " +
                     std::to_string(held) + " weight bits on it; expected <= weight_capacity_bits (" +
                     std::to_string(cap) + ")");
  }
  if (!over.empty()) {
    const uint64_t cap = out.SkuOf(expert_nodes.front()).weight_capacity_bits;
    const uint64_t per_chip = cap / bits_per_expert;
    uint64_t placed = 0;
    for (const auto& r : out.placement.replicas) placed += r.size();
    std::string need = per_chip == 0
        ? "one expert (" + std::to_string(bits_per_expert) + " bits) does not fit a chip of sku " +
              out.SkuOf(expert_nodes.front()).name
        : "the model's " + std::to_string(placed) + " expert slots need at least " +
              std::to_string((placed + per_chip - 1) / per_chip) + " chips of sku " +
              out.SkuOf(expert_nodes.front()).name + " (" + std::to_string(per_chip) +
              " experts each); the config has " + std::to_string(expert_nodes.size()) + " expert chips";
    for (const auto& o : over) p.AddRaw(o);
    p.AddRaw(need);
  }
}

}  // namespace moefab::config_detail
