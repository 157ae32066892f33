// Routing skew of a run, from the jobs its experts and chips served: the hottest expert's (or
// expert group's, or expert chip's) jobs over the mean. These are the figures published for
// real deployments (docs/REFERENCES.md R-ROUTING-MEASURED: TensorRT-LLM's per-expert and
// per-rank max/mean of DeepSeek-R1 at EP32), so a run's synthetic or traced routing can be held
// against them. Routed experts only: a shared expert serves every token.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/config/options.h"
#include "runtime/results/rank_report.h"

namespace moefab {

/// Max/mean figures; a layer without routed jobs counts 0.
struct RoutingSkew {
  std::vector<double> per_expert;        // per layer: busiest routed expert's jobs / mean
  double per_expert_mean = 0;            // mean over layers (as TensorRT-LLM averages layers)
  double per_expert_max = 0;             // the hottest layer
  uint32_t groups = 0;                   // expert groups per layer (kSkewGroups, fewer if E < 32)
  std::vector<double> per_group;         // per layer: busiest group's jobs / mean
  double per_group_mean = 0, per_group_max = 0;
  double per_expert_chip = 0;            // expert chips: most jobs / mean (all layers, replicas)
};

/// Groups of consecutive routed expert ids per layer: 32 ranks of EP32, expert e in group
/// e x groups / E (equal groups when 32 divides E).
inline constexpr uint32_t kSkewGroups = 32;

RoutingSkew ComputeRoutingSkew(const RunOptions& options, const RankReport& merged);

}  // namespace moefab
