#include "runtime/results/energy.h"

#include <array>

namespace moefab {

EnergyReport ComputeEnergy(const RunOptions& o, const ClusterPlan& plan, const RankReport& merged, Tick makespan_ps) {
  EnergyReport e;
  const auto& m = o.model;
  const uint64_t macs_per_job = 3 * uint64_t{m.d_model} * m.expert_width;
  e.macs = merged.job_totals.jobs * macs_per_job;
  for (const auto& l : merged.links) e.link_bit_hops += l.bytes * 8;
  e.attention_flops = merged.attention_flops;
  // Per expert: its jobs in its chips' format (heterogeneous SKUs may differ); MACs are summed
  // per format as integers first.
  std::array<uint64_t, 3> jobs_by_format{};  // INT4, INT3, MXFP4
  const auto index = [](chips::WeightFormat f) {
    return f == chips::WeightFormat::kInt3 ? 1u : f == chips::WeightFormat::kMxfp4 ? 2u : 0u;
  };
  uint64_t counted = 0;
  for (size_t i = 0; i < merged.expert_jobs.size(); ++i) {
    jobs_by_format[index(i < plan.expert_format.size() ? plan.expert_format[i] : m.format)] += merged.expert_jobs[i];
    counted += merged.expert_jobs[i];
  }
  // Hand-made reports without per-expert counts: the model's format.
  if (counted == 0) jobs_by_format[index(m.format)] = merged.job_totals.jobs;
  const chips::WeightFormat formats[] = {chips::WeightFormat::kInt4, chips::WeightFormat::kInt3,
                                         chips::WeightFormat::kMxfp4};
  for (unsigned k = 0; k < 3; ++k)
    if (jobs_by_format[k] > 0)
      e.mac_j += static_cast<double>(jobs_by_format[k] * macs_per_job) * MacPj(o.energy, formats[k]) * 1e-12;
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
