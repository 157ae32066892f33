// The functional model's constants: synthetic expert and gate weights (from the model's
// weight seed) and the tokens' input hidden states (from the workload's input seed). Weights
// are generated on first use and cached, so a rank only builds the experts it hosts.
#pragma once

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "chips/expert_weights.h"
#include "router/gate.h"
#include "runtime/options.h"

namespace moefab {

class ModelData {
 public:
  ModelData(const ModelOptions& model, uint64_t input_seed);

  /// Weights of (layer, expert): identical on every rank.
  std::shared_ptr<const chips::ExpertWeights> Expert(uint32_t layer, uint32_t expert);
  /// Gate weights of a layer.
  const router::GateWeights& Gate(uint32_t layer);
  /// The input hidden state of a token (int8, d_model elements).
  [[nodiscard]] std::vector<int8_t> InputHidden(uint32_t token) const;
  [[nodiscard]] const ModelOptions& model() const { return model_; }

 private:
  ModelOptions model_;   // copy of the model options
  uint64_t input_seed_;  // workload input seed
  std::map<std::pair<uint32_t, uint32_t>, std::shared_ptr<const chips::ExpertWeights>> experts_;
  std::map<uint32_t, router::GateWeights> gates_;  // per layer
};

}  // namespace moefab
