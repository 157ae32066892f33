#include "runtime/golden_model.h"

#include <algorithm>
#include <span>

#include "chips/golden_expert.h"
#include "router/combine.h"
#include "router/topk.h"

namespace moefab {

std::vector<int8_t> GoldenForward(ModelData& data, uint32_t token) {
  const ModelOptions& m = data.model();
  std::vector<int8_t> h = data.InputHidden(token);
  std::vector<std::vector<int8_t>> outputs;
  for (uint32_t layer = 0; layer < m.num_layers; ++layer) {
    const auto logits = router::GateLogits(data.Gate(layer), h);
    const auto sel = router::SoftmaxTopKRenormalised(logits, m.top_k, m.gate_logit_scale);
    outputs.assign(sel.experts.size(), std::vector<int8_t>(m.d_model));
    std::vector<std::span<const int8_t>> views;
    for (size_t i = 0; i < sel.experts.size(); ++i) {
      chips::GoldenExpert(*data.Expert(layer, sel.experts[i]), h, outputs[i]);
      views.emplace_back(outputs[i]);
    }
    router::CombineResidual(h, sel, views);
  }
  return h;
}

GoldenTally CheckAgainstGolden(const RunOptions& options, std::span<const TokenRecord> tokens) {
  GoldenTally tally;
  ModelData data(options.model, options.workload.input_seed);
  for (const auto& t : tokens) {
    ++tally.checked;
    if (GoldenForward(data, t.id) != t.final_h) {
      ++tally.mismatched;
      tally.first_mismatch = std::min<uint64_t>(tally.first_mismatch, t.id);
    }
  }
  return tally;
}

}  // namespace moefab
