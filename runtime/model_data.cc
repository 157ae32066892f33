#include "runtime/model_data.h"

#include "runtime/core/rng.h"

namespace moefab {

namespace {
// Stream tags keep the expert, gate and input streams apart for equal seeds.
constexpr uint64_t kExpertStream = 1;
constexpr uint64_t kGateStream = 2;
constexpr uint64_t kInputStream = 3;
}  // namespace

ModelData::ModelData(const ModelOptions& model, uint64_t input_seed)
    : model_(model), input_seed_(input_seed) {}

std::shared_ptr<const chips::ExpertWeights> ModelData::Expert(uint32_t layer, uint32_t expert) {
  auto& slot = experts_[{layer, expert}];
  if (!slot) {
    slot = std::make_shared<const chips::ExpertWeights>(chips::MakeSyntheticExpertWeights(
        chips::ExpertShape{model_.d_model, model_.expert_width},
        MixSeed(model_.weight_seed, kExpertStream, layer, expert)));
  }
  return slot;
}

const router::GateWeights& ModelData::Gate(uint32_t layer) {
  auto it = gates_.find(layer);
  if (it == gates_.end()) {
    it = gates_
             .emplace(layer, router::MakeSyntheticGateWeights(
                                 model_.num_experts, model_.d_model,
                                 MixSeed(model_.weight_seed, kGateStream, layer)))
             .first;
  }
  return it->second;
}

std::vector<int8_t> ModelData::InputHidden(uint32_t token) const {
  // Uniform in [-48, 48]: an int8 activation with room for residual growth.
  SplitMix64 rng(MixSeed(input_seed_, kInputStream, token));
  std::vector<int8_t> h(model_.d_model);
  for (auto& v : h) v = static_cast<int8_t>(rng.Uniform(-48, 48));
  return h;
}

}  // namespace moefab
