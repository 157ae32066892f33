#include "runtime/results/golden_model.h"

#include <algorithm>
#include <span>

#include "chips/numerics/golden_expert.h"
#include "router/combine.h"

namespace moefab {

std::vector<int16_t> GoldenForward(ModelData& data, uint32_t token, std::span<const uint32_t> dropped) {
  const ModelOptions& m = data.model();
  std::vector<int16_t> h = data.InputHidden(token);
  std::vector<std::vector<int16_t>> outputs;
  std::vector<uint32_t> drop_here;
  for (uint32_t layer = 0; layer < m.num_layers; ++layer) {
    auto plan = data.Plan(token, layer, h);
    // The run's capacity decisions (which depend on other tokens) are replayed, not re-made.
    drop_here.clear();
    for (uint32_t d : dropped)
      if (d / m.num_experts == layer) drop_here.push_back(d % m.num_experts);
    ModelData::Drop(plan, drop_here, m.num_experts);
    outputs.assign(plan.jobs.size(), std::vector<int16_t>(m.d_model));
    std::vector<std::span<const int16_t>> views;
    for (size_t i = 0; i < plan.jobs.size(); ++i) {
      const auto& job = plan.jobs[i];
      chips::GoldenExpert(*data.Golden(layer, job.expert), job.x, job.exponent, outputs[i]);
      views.emplace_back(outputs[i]);
    }
    router::CombineResidual(h, plan.combine, views);
  }
  return h;
}

GoldenTally CheckAgainstGolden(const RunOptions& options, const ClusterPlan& plan,
                               std::span<const TokenRecord> tokens) {
  GoldenTally tally;
  ModelData data(options, plan);
  for (const auto& t : tokens) {
    ++tally.checked;
    if (GoldenForward(data, t.id, t.dropped) != t.final_h) {
      ++tally.mismatched;
      tally.first_mismatch = std::min<uint64_t>(tally.first_mismatch, t.id);
    }
  }
  return tally;
}

}  // namespace moefab
