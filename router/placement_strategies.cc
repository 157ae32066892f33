#include "router/placement_strategies.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>

#include "core/error.h"

namespace moefab::router {

namespace {

Placement Empty(uint32_t layers, uint32_t experts) {
  Placement p;
  p.num_layers = layers;
  p.num_experts = experts;
  p.replicas.resize(static_cast<size_t>(layers) * experts);
  return p;
}

void CheckInputs(uint32_t layers, uint32_t experts, std::span<const NodeId> nodes, const ExpertLoad* load) {
  if (layers == 0 || experts == 0 || nodes.empty())
    throw ConfigError("placement: needs at least one layer, expert and expert chip");
  if (load && load->size() != static_cast<size_t>(layers) * experts) {
    std::ostringstream os;
    os << "placement: expert load has " << load->size()
       << " entries, expected layers x experts = " << static_cast<size_t>(layers) * experts;
    throw ConfigError(os.str());
  }
}

void CheckSlots(uint64_t needed, uint32_t slots_per_chip, size_t chips, const char* what) {
  if (slots_per_chip > 0 && needed > uint64_t{slots_per_chip} * chips) {
    std::ostringstream os;
    os << "placement " << what << ": needs " << needed << " expert slots but " << chips << " expert chips x "
       << slots_per_chip << " slots hold only " << uint64_t{slots_per_chip} * chips;
    throw ConfigError(os.str());
  }
}

// Mean hops from the attention chips to `node`.
double MeanHops(NodeId node, std::span<const NodeId> homes, const HopFn& hops) {
  double h = 0;
  for (NodeId a : homes) h += hops(a, node);
  return homes.empty() ? 0 : h / static_cast<double>(homes.size());
}

}  // namespace

Placement LayerBlockedPlacement(uint32_t layers, uint32_t experts, std::span<const NodeId> nodes) {
  CheckInputs(layers, experts, nodes, nullptr);
  Placement p = Empty(layers, experts);
  const size_t total = p.replicas.size();
  for (size_t i = 0; i < total; ++i) p.replicas[i].push_back(nodes[i * nodes.size() / total]);
  return p;
}

Placement LoadBalancedPlacement(uint32_t layers, uint32_t experts, const ExpertLoad& load, uint32_t extra,
                                std::span<const NodeId> nodes, uint32_t slots_per_chip) {
  CheckInputs(layers, experts, nodes, &load);
  CheckSlots((uint64_t{experts} + extra) * layers, slots_per_chip, nodes.size(), "load-balanced");
  // An expert has at most one replica per chip.
  if (uint64_t{experts} + extra > uint64_t{experts} * nodes.size())
    throw ConfigError("load-balanced: extra_replicas_per_layer=" + std::to_string(extra) + ": expected at most " +
                      std::to_string(uint64_t{experts} * (nodes.size() - 1)) + " (experts per layer " +
                      std::to_string(experts) + " x (expert chips " + std::to_string(nodes.size()) +
                      " - 1): one replica per chip)");
  Placement p = Empty(layers, experts);
  std::vector<uint32_t> slots_used(nodes.size(), 0);
  std::vector<double> chip_load(nodes.size(), 0);
  for (uint32_t l = 0; l < layers; ++l) {
    const double* w = &load[static_cast<size_t>(l) * experts];
    // Replicate: each extra slot goes to the expert with the largest load per replica.
    std::vector<uint32_t> count(experts, 1);
    for (uint32_t r = 0; r < extra; ++r) {
      uint32_t best = 0;
      while (count[best] >= nodes.size()) ++best;  // some expert has room: checked above
      for (uint32_t e = best + 1; e < experts; ++e)
        if (count[e] < nodes.size() && w[e] / count[e] > w[best] / count[best]) best = e;
      ++count[best];
    }
    // Pack replicas heaviest first onto the lightest chip with a free slot (ties: fewer
    // slots of this layer, then lower index), spreading a layer's replicas across chips.
    std::vector<std::pair<double, uint32_t>> items;
    for (uint32_t e = 0; e < experts; ++e)
      for (uint32_t r = 0; r < count[e]; ++r) items.emplace_back(w[e] / count[e], e);
    std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<uint32_t> layer_slots(nodes.size(), 0);
    for (const auto& [item_load, e] : items) {
      size_t best = nodes.size();
      for (size_t c = 0; c < nodes.size(); ++c) {
        if (slots_per_chip > 0 && slots_used[c] >= slots_per_chip) continue;
        auto& reps = p.replicas[static_cast<size_t>(l) * experts + e];
        if (std::find(reps.begin(), reps.end(), nodes[c]) != reps.end()) continue;
        if (best == nodes.size() || chip_load[c] < chip_load[best] ||
            (chip_load[c] == chip_load[best] && layer_slots[c] < layer_slots[best]))
          best = c;
      }
      MOEFAB_CHECK(best < nodes.size(), "load-balanced packing found no chip");
      p.replicas[static_cast<size_t>(l) * experts + e].push_back(nodes[best]);
      chip_load[best] += item_load;
      ++slots_used[best];
      ++layer_slots[best];
    }
  }
  for (auto& reps : p.replicas) std::sort(reps.begin(), reps.end());
  return p;
}

Placement TopologyAwarePlacement(uint32_t layers, uint32_t experts, const ExpertLoad& load,
                                 std::span<const NodeId> nodes, std::span<const NodeId> homes, uint32_t slots_per_chip,
                                 const HopFn& hops) {
  CheckInputs(layers, experts, nodes, &load);
  CheckSlots(uint64_t{experts} * layers, slots_per_chip, nodes.size(), "topology-aware");
  // Without a slot limit, nearness alone would put everything on the nearest chip: cap the
  // chips at an even share.
  const uint32_t cap = slots_per_chip > 0
                           ? slots_per_chip
                           : static_cast<uint32_t>((uint64_t{experts} * layers + nodes.size() - 1) / nodes.size());
  Placement p = Empty(layers, experts);
  std::vector<size_t> order(p.replicas.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return load[a] > load[b]; });
  std::vector<double> dist(nodes.size());
  for (size_t c = 0; c < nodes.size(); ++c) dist[c] = MeanHops(nodes[c], homes, hops);
  std::vector<uint32_t> used(nodes.size(), 0);
  std::vector<double> chip_load(nodes.size(), 0);
  for (size_t i : order) {
    size_t best = nodes.size();
    for (size_t c = 0; c < nodes.size(); ++c) {
      if (used[c] >= cap) continue;
      if (best == nodes.size() || dist[c] < dist[best] || (dist[c] == dist[best] && chip_load[c] < chip_load[best]))
        best = c;
    }
    MOEFAB_CHECK(best < nodes.size(), "topology-aware placement found no chip");
    p.replicas[i].push_back(nodes[best]);
    ++used[best];
    chip_load[best] += load[i];
  }
  return p;
}

PlacementMetrics MeasurePlacement(const Placement& p, const ExpertLoad& load, std::span<const NodeId> nodes,
                                  std::span<const NodeId> homes, const HopFn& hops, uint64_t bytes_per_job) {
  PlacementMetrics m;
  std::map<NodeId, double> chip_load;
  std::map<NodeId, uint32_t> chip_slots;
  double total = 0, hop_sum = 0;
  for (size_t i = 0; i < p.replicas.size(); ++i) {
    const auto& reps = p.replicas[i];
    for (NodeId n : reps) {
      chip_load[n] += load[i] / static_cast<double>(reps.size());
      ++chip_slots[n];
    }
    double h = 0;
    for (NodeId a : homes) {
      uint32_t best = ~0u;
      for (NodeId n : reps) best = std::min(best, hops(a, n));
      h += best;
    }
    hop_sum += load[i] * (homes.empty() ? 0 : h / static_cast<double>(homes.size()));
    total += load[i];
  }
  m.chips_used = static_cast<uint32_t>(chip_load.size());
  for (const auto& [n, l] : chip_load) m.max_load = std::max(m.max_load, l);
  for (const auto& [n, s] : chip_slots) m.max_slots = std::max(m.max_slots, s);
  m.mean_load = m.chips_used ? total / m.chips_used : 0;
  m.expected_hops = total > 0 ? hop_sum / total : 0;
  m.expected_hop_bytes = m.expected_hops * static_cast<double>(bytes_per_job);
  (void)nodes;
  return m;
}

}  // namespace moefab::router
