#include "runtime/results/utilisation.h"

#include "chips/area/area_model.h"

namespace moefab {

Utilisation ComputeUtilisation(const RunOptions& o, const std::vector<ChipRecord>& chips, uint64_t tokens,
                               double span_ps) {
  Utilisation u;
  const double weights_per_job = 3.0 * double(o.model.d_model) * double(o.model.expert_width);
  const double n = double(tokens == 0 ? 1 : tokens);
  double used = 0, capacity = 0;
  // The modelled engine of every expert SKU with etched weights.
  std::vector<double> engine_t(o.skus.size(), 0.0);
  for (uint32_t k = 0; k < o.skus.size(); ++k) {
    const SkuOptions& sku = o.skus[k];
    if (sku.kind != ChipKind::kExpert || sku.memory_weights) continue;
    const chips::area::EngineAreaEstimate e = chips::area::ModelEngineArea(EngineConfigOf(o.model, sku));
    engine_t[k] = e.transistors;
    u.skus.push_back(SkuArea{k, e.transistors, e.rom_transistors, e.calibration});
  }
  for (const ChipRecord& c : chips) {
    const SkuOptions& sku = o.skus[c.sku];
    if (sku.kind != ChipKind::kExpert || sku.memory_weights || c.slots == 0) continue;
    ChipUtilisation x;
    x.node = c.node;
    x.sku = c.sku;
    x.etched_weights = static_cast<uint64_t>(c.slots * weights_per_job);
    x.weights_used_per_token = double(c.jobs) * weights_per_job / n;
    x.weight_use_fraction = x.weights_used_per_token / double(x.etched_weights);
    const double cycles = span_ps / double(sku.clock.period_ps);
    const double lane_macs = double(c.slots) * 3.0 * double(sku.mac_lanes) * cycles;
    const double macs = double(c.jobs) * weights_per_job;
    x.mac_lane_utilisation = lane_macs > 0 ? macs / lane_macs : 0;
    x.transistors = double(c.slots) * engine_t[c.sku];
    x.die_mm2 = sku.transistors_per_mm2 > 0 ? x.transistors / sku.transistors_per_mm2 : 0;
    u.transistors += x.transistors;
    u.die_mm2 += x.die_mm2;
    u.etched_weights += x.etched_weights;
    u.weights_used_per_token += x.weights_used_per_token;
    used += macs;
    capacity += lane_macs;
    u.chips.push_back(x);
  }
  u.weight_use_fraction = u.etched_weights ? u.weights_used_per_token / double(u.etched_weights) : 0;
  u.mac_lane_utilisation = capacity > 0 ? used / capacity : 0;
  u.transistors_per_etched_weight = u.etched_weights ? u.transistors / double(u.etched_weights) : 0;
  return u;
}

}  // namespace moefab
