#include "runtime/plan/cluster_plan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "router/placement_file.h"
#include "router/placement_strategies.h"
#include "runtime/config/fabric_options.h"
#include "runtime/config/problems.h"

namespace moefab {

namespace {

// The weights of every record of a trace: a renormalising rule's sum to 1.0 (32768, or
// routed_scaling x 32768), the others' to at most that.
void CheckTraceWeights(const router::RoutingTrace& t, const RunOptions& o, Problems& p) {
  const auto& r = o.model.router;
  const int64_t one = router::kQ15One;
  const int64_t scaled = std::llround(r.routed_scaling * router::kQ15One);
  const bool renorm = r.rule != router::Rule::kSoftmaxTopK && r.rule != router::Rule::kTop1SigmoidInput;
  for (uint32_t tok = 0; tok < t.num_tokens; ++tok)
    for (uint32_t l = 0; l < t.num_layers; ++l) {
      const auto sel = t.At(tok, l);
      int64_t sum = 0;
      for (uint32_t w : sel.weights_q15) sum += w;
      if (renorm ? (sum == one || sum == scaled) : sum <= std::max(one, scaled)) continue;
      p.AddRaw("routing.trace=" + o.routing.trace + ": token " + std::to_string(tok) + " layer " + std::to_string(l) +
               ": weights sum to " + std::to_string(sum) + ": expected " +
               (renorm ? "32768 (1.0 in Q1.15)" + std::string(scaled != one ? " or " + std::to_string(scaled) : "")
                       : "at most " + std::to_string(std::max(one, scaled))) +
               " for router " + router::RuleName(r.rule));
      return;
    }
}

// The routing table of SYNTHETIC / TRACE runs, checked against the model.
std::shared_ptr<const router::RoutingTrace> LoadRoutingTable(const RunOptions& o, Problems& p) {
  const auto& r = o.routing;
  if (r.source == RoutingSource::kGate) return nullptr;
  try {
    if (r.source == RoutingSource::kSynthetic)
      return std::make_shared<const router::RoutingTrace>(router::GenerateSyntheticRouting(r.synthetic));
    auto trace = std::make_shared<const router::RoutingTrace>(router::ReadRoutingTrace(r.trace));
    const auto& m = o.model;
    if (trace->num_layers != m.num_layers || trace->num_experts != m.num_experts || trace->top_k != m.top_k)
      p.AddRaw("routing.trace=" + r.trace + ": layers " + std::to_string(trace->num_layers) + " experts " +
               std::to_string(trace->num_experts) + " top_k " + std::to_string(trace->top_k) +
               ": expected the model's " + std::to_string(m.num_layers) + " / " + std::to_string(m.num_experts) +
               " / " + std::to_string(m.top_k));
    CheckTraceWeights(*trace, o, p);
    if (trace->num_tokens < o.workload.num_tokens)
      p.AddRaw("routing.trace=" + r.trace + ": " + std::to_string(trace->num_tokens) +
               " tokens: expected at least workload.num_tokens (" + std::to_string(o.workload.num_tokens) + ")");
    return trace;
  } catch (const ConfigError& e) {
    p.AddRaw(std::string("routing: ") + e.what());
  }
  return nullptr;
}

// Expected jobs per token of every (layer, expert) including shared experts (1 each).
std::vector<double> ExpectedLoad(const RunOptions& o, const router::RoutingTrace* table) {
  const auto& m = o.model;
  std::vector<double> load(static_cast<size_t>(m.num_layers) * m.experts_per_layer(),
                           static_cast<double>(m.top_k) / m.num_experts);
  if (table) {
    const auto share = router::ExpertLoadOf(*table);  // per layer sums to 1
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

// Slots a chip offers: the configured limit, else the smallest weight capacity of the expert
// chips (strategies pack uniform chips), else an even share.
uint32_t SlotsPerChip(const RunOptions& o, const std::vector<NodeId>& expert_nodes) {
  const auto& m = o.model;
  if (o.placement.slots_per_chip != 0) return o.placement.slots_per_chip;
  uint64_t fewest = UINT64_MAX;
  for (NodeId n : expert_nodes)
    if (o.SkuOf(n).weight_capacity_bits > 0)
      fewest = std::min(fewest, o.SkuOf(n).weight_capacity_bits / SlotWeightBits(m, o.SkuOf(n)));
  if (fewest != UINT64_MAX) return static_cast<uint32_t>(std::min<uint64_t>(fewest, UINT32_MAX));
  const uint64_t total_slots = static_cast<uint64_t>(m.num_layers) * m.experts_per_layer();
  return static_cast<uint32_t>(
      (total_slots + uint64_t{o.placement.extra_replicas_per_layer} * m.num_layers + expert_nodes.size() - 1) /
      expert_nodes.size());
}

// The placement by the configured strategy (hops measured on the run's fabric).
router::Placement Place(const RunOptions& o, const ClusterPlan& plan, const std::vector<NodeId>& expert_nodes,
                        const std::vector<NodeId>& attention_nodes) {
  const auto& m = o.model;
  switch (o.placement.strategy) {
    case PlacementStrategy::kRoundRobin:
      return router::RoundRobinPlacement(m.num_layers, m.experts_per_layer(), expert_nodes);
    case PlacementStrategy::kExplicit:
      return o.placement.explicit_placement;
    case PlacementStrategy::kLayerBlocked:
      return router::LayerBlockedPlacement(m.num_layers, m.experts_per_layer(), expert_nodes);
    case PlacementStrategy::kLoadBalanced:
      return router::LoadBalancedPlacement(m.num_layers, m.experts_per_layer(), plan.expected_load,
                                           o.placement.extra_replicas_per_layer, expert_nodes,
                                           SlotsPerChip(o, expert_nodes));
    case PlacementStrategy::kTopologyAware: {
      const fabric::Network& net = *plan.network;
      return router::TopologyAwarePlacement(m.num_layers, m.experts_per_layer(), plan.expected_load, expert_nodes,
                                            attention_nodes, SlotsPerChip(o, expert_nodes),
                                            [&net](NodeId a, NodeId b) { return net.Hops(a, b); });
    }
    case PlacementStrategy::kFile:
      return router::ReadPlacementFile(o.placement.file, m.num_layers, m.experts_per_layer());
  }
  MOEFAB_CHECK(false, "unknown placement strategy");
  return {};
}

// The format of every (layer, expert): its chips' SKU format; replicas must agree.
void CheckFormats(const RunOptions& o, ClusterPlan& plan, Problems& p) {
  const auto& m = o.model;
  const auto format_of_node = [&](NodeId n) { return ExpertFormatOf(m, o.SkuOf(n)); };
  plan.expert_format.assign(plan.placement.replicas.size(), m.format);
  for (size_t i = 0; i < plan.placement.replicas.size(); ++i) {
    const auto& reps = plan.placement.replicas[i];
    plan.expert_format[i] = format_of_node(reps.front());
    for (NodeId n : reps)
      if (format_of_node(n) != plan.expert_format[i]) {
        p.AddRaw("placement: layer " + std::to_string(i / m.experts_per_layer()) + " expert " +
                 std::to_string(i % m.experts_per_layer()) + " has replicas on chips " + std::to_string(reps.front()) +
                 " (" + chips::WeightFormatName(plan.expert_format[i]) + ") and " + std::to_string(n) + " (" +
                 chips::WeightFormatName(format_of_node(n)) +
                 "): expected the replicas of an expert on chips of one weight format");
        break;
      }
    if (m.layout == ModelOptions::Layout::kGptOssMxfp4 && plan.expert_format[i] != chips::WeightFormat::kMxfp4) {
      p.AddRaw("skus: a chip of format " + std::string(chips::WeightFormatName(plan.expert_format[i])) +
               " holds gpt-oss MXFP4 weights: expected MXFP4 chips with model.weights.layout GPT_OSS_MXFP4");
      break;
    }
  }
}

// Every chip's slots must fit its weight capacity; if not, say how many chips would hold it.
void CheckCapacity(const RunOptions& o, const ClusterPlan& plan, const std::vector<NodeId>& expert_nodes, Problems& p) {
  const auto& m = o.model;
  const auto bits_of_node = [&](NodeId n) { return SlotWeightBits(m, o.SkuOf(n)); };
  std::vector<std::string> over;
  for (NodeId n : expert_nodes) {
    const uint64_t cap = o.SkuOf(n).weight_capacity_bits;
    const uint64_t held = plan.placement.SlotsOn(n).size() * bits_of_node(n);
    if (cap > 0 && held > cap && over.size() < 5)
      over.push_back("chip " + std::to_string(n) + " (sku " + o.SkuOf(n).name + "): placement puts " +
                     std::to_string(plan.placement.SlotsOn(n).size()) + " experts = " + std::to_string(held) +
                     " weight bits on it; expected <= weight_capacity_bits (" + std::to_string(cap) + ")");
  }
  if (over.empty()) return;
  const NodeId first = expert_nodes.front();
  const uint64_t bits_per_expert = bits_of_node(first);
  const uint64_t per_chip = o.SkuOf(first).weight_capacity_bits / bits_per_expert;
  const uint64_t placed = plan.num_slots();
  std::string need = per_chip == 0 ? "one expert (" + std::to_string(bits_per_expert) +
                                         " bits) does not fit a chip of sku " + o.SkuOf(first).name
                                   : "the model's " + std::to_string(placed) + " expert slots need at least " +
                                         std::to_string((placed + per_chip - 1) / per_chip) + " chips of sku " +
                                         o.SkuOf(first).name + " (" + std::to_string(per_chip) +
                                         " experts each); the config has " + std::to_string(expert_nodes.size()) +
                                         " expert chips";
  for (const auto& line : over) p.AddRaw(line);
  p.AddRaw(need);
}

}  // namespace

uint64_t ClusterPlan::num_slots() const {
  uint64_t n = 0;
  for (const auto& r : placement.replicas) n += r.size();
  return n;
}

ClusterPlan MakePlan(const RunOptions& o) {
  Problems p(o.config_path);
  ClusterPlan plan;
  plan.routing_table = LoadRoutingTable(o, p);
  p.ThrowIfAny();
  // The fabric, once: Make validates it (ConfigError names the file and field).
  plan.network = BuildNetwork(o.fabric, o.config_path);
  std::vector<NodeId> expert_nodes, attention_nodes;
  for (NodeId n = 0; n < o.num_nodes(); ++n)
    (o.SkuOf(n).kind == ChipKind::kExpert ? expert_nodes : attention_nodes).push_back(n);
  MOEFAB_CHECK(!expert_nodes.empty() && o.model.num_layers > 0 && o.model.num_experts > 0,
               "settings without expert chips or experts passed validation");
  plan.expected_load = ExpectedLoad(o, plan.routing_table.get());
  try {
    plan.placement = Place(o, plan, expert_nodes, attention_nodes);
    router::ValidatePlacement(plan.placement, expert_nodes);
  } catch (const ConfigError& e) {
    p.AddRaw(std::string("placement: ") + e.what());
    p.ThrowIfAny();
  }
  CheckFormats(o, plan, p);
  CheckCapacity(o, plan, expert_nodes, p);
  p.ThrowIfAny();
  return plan;
}

}  // namespace moefab
