#include "runtime/golden_model.h"

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

}  // namespace moefab
