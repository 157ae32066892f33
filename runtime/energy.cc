#include "runtime/energy.h"

namespace moefab {

EnergyReport ComputeEnergy(const RunOptions& o, const RankReport& merged, Tick makespan_ps) {
  EnergyReport e;
  const auto& m = o.model;
  e.macs = merged.job_totals.jobs * 3 * uint64_t{m.d_model} * m.expert_width;
  for (const auto& l : merged.links) e.link_bit_hops += l.bytes * 8;
  e.attention_flops = merged.attention_flops;
  double mac_pj = o.energy.mac_pj_int4;
  if (m.format == chips::WeightFormat::kInt3) mac_pj = o.energy.mac_pj_int3;
  if (m.format == chips::WeightFormat::kMxfp4) mac_pj = o.energy.mac_pj_mxfp4;
  e.mac_j = static_cast<double>(e.macs) * mac_pj * 1e-12;
  e.link_j = static_cast<double>(e.link_bit_hops) * o.energy.link_pj_per_bit_hop * 1e-12;
  e.attention_j = static_cast<double>(e.attention_flops) * o.energy.attention_pj_per_flop * 1e-12;
  double static_w = 0;
  for (NodeId n = 0; n < o.num_nodes(); ++n) static_w += o.SkuOf(n).static_power_w;
  e.static_j = static_w * static_cast<double>(makespan_ps) * 1e-12;
  e.total_j = e.mac_j + e.link_j + e.attention_j + e.static_j;
  e.per_token_j = merged.tokens.empty() ? 0 : e.total_j / static_cast<double>(merged.tokens.size());
  return e;
}

}  // namespace moefab
