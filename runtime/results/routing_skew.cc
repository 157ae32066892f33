#include "runtime/results/routing_skew.h"

#include <algorithm>

namespace moefab {

namespace {

// Largest value over the mean; 0 when empty or all zero.
double MaxOverMean(const std::vector<uint64_t>& v) {
  uint64_t sum = 0, max = 0;
  for (uint64_t x : v) {
    sum += x;
    max = std::max(max, x);
  }
  return sum ? static_cast<double>(max) * static_cast<double>(v.size()) / static_cast<double>(sum) : 0.0;
}

void MeanAndMax(const std::vector<double>& v, double& mean, double& max) {
  double sum = 0;
  max = 0;
  for (double x : v) {
    sum += x;
    max = std::max(max, x);
  }
  mean = v.empty() ? 0 : sum / static_cast<double>(v.size());
}

}  // namespace

RoutingSkew ComputeRoutingSkew(const RunOptions& o, const RankReport& merged) {
  const auto& m = o.model;
  RoutingSkew s;
  const uint32_t E = m.num_experts;
  s.groups = std::min(kSkewGroups, E);
  std::vector<uint64_t> experts(E), groups(s.groups);
  for (uint32_t l = 0; l < m.num_layers; ++l) {
    std::fill(groups.begin(), groups.end(), 0);
    for (uint32_t e = 0; e < E; ++e) {
      const size_t i = static_cast<size_t>(l) * m.experts_per_layer() + e;
      experts[e] = i < merged.expert_jobs.size() ? merged.expert_jobs[i] : 0;
      groups[static_cast<size_t>(e) * s.groups / E] += experts[e];
    }
    s.per_expert.push_back(MaxOverMean(experts));
    s.per_group.push_back(MaxOverMean(groups));
  }
  MeanAndMax(s.per_expert, s.per_expert_mean, s.per_expert_max);
  MeanAndMax(s.per_group, s.per_group_mean, s.per_group_max);
  std::vector<uint64_t> chips;
  for (const auto& c : merged.chips)
    if (c.sku < o.skus.size() && o.skus[c.sku].kind == ChipKind::kExpert) chips.push_back(c.jobs);
  s.per_expert_chip = MaxOverMean(chips);
  return s;
}

}  // namespace moefab
