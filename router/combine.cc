#include "router/combine.h"

#include "core/error.h"
#include "core/types.h"

namespace moefab::router {

void CombineResidual(std::span<std::int16_t> h, const Selection& selection,
                     std::span<const std::span<const std::int16_t>> expert_outputs) {
  const std::size_t k = selection.experts.size();
  MOEFAB_CHECK(selection.weights_q15.size() == k && expert_outputs.size() == k,
               "combine: " << k << " experts, " << selection.weights_q15.size() << " weights, " << expert_outputs.size()
                           << " outputs");
  for (std::size_t e = 0; e < k; ++e) {
    MOEFAB_CHECK(expert_outputs[e].size() == h.size(), "combine: output of expert " << selection.experts[e] << " has "
                                                                                    << expert_outputs[e].size()
                                                                                    << " elements, h has " << h.size());
  }
  for (std::size_t j = 0; j < h.size(); ++j) {
    std::int64_t acc = 0;
    for (std::size_t e = 0; e < k; ++e) {
      acc += std::int64_t{selection.weights_q15[e]} * std::int64_t{expert_outputs[e][j]};
    }
    h[j] = SatInt16(std::int64_t{h[j]} + RoundShift(acc, 15));
  }
}

}  // namespace moefab::router
