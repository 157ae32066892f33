#include "runtime/model_data.h"

#include <cmath>

#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "runtime/core/error.h"
#include "runtime/core/rng.h"

namespace moefab {

namespace {
// Stream tags keep the expert, gate and input streams apart for equal seeds.
constexpr uint64_t kExpertStream = 1;
constexpr uint64_t kGateStream = 2;
constexpr uint64_t kInputStream = 3;
}  // namespace

ModelData::ModelData(const RunOptions& options)
    : model_(options.model), input_seed_(options.workload.input_seed) {
  if (!model_.safetensors.empty())
    throw ConfigError(model_.safetensors + ": reading weights from safetensors is not wired into runs yet");
}

ModelData::~ModelData() = default;

std::shared_ptr<const chips::ExpertWeights> ModelData::Expert(uint32_t layer, uint32_t expert) {
  auto& slot = experts_[{layer, expert}];
  if (!slot) {
    slot = std::make_shared<const chips::ExpertWeights>(chips::MakeSyntheticExpertWeights(
        chips::ExpertShape{model_.d_model, model_.expert_width}, model_.format, model_.activation,
        MixSeed(model_.weight_seed, kExpertStream, layer, expert)));
  }
  return slot;
}

std::shared_ptr<const chips::PreparedExpert> ModelData::Golden(uint32_t layer, uint32_t expert) {
  auto& slot = golden_[{layer, expert}];
  if (!slot) slot = chips::PrepareGolden(*Expert(layer, expert));
  return slot;
}

const router::GateWeights& ModelData::Gate(uint32_t layer) {
  auto it = gates_.find(layer);
  if (it == gates_.end()) {
    auto gate = router::MakeSyntheticGateWeights(model_.num_experts, model_.d_model,
                                                 MixSeed(model_.weight_seed, kGateStream, layer));
    gate.scale = model_.gate_logit_scale;
    it = gates_.emplace(layer, std::move(gate)).first;
  }
  return it->second;
}

std::vector<int16_t> ModelData::InputHidden(uint32_t token) const {
  // Real values ~N(0, 1) at the residual scale 2^-8 (Box-Muller on the seeded stream).
  SplitMix64 rng(MixSeed(input_seed_, kInputStream, token));
  std::vector<int16_t> h(model_.d_model);
  for (auto& v : h) {
    const double u1 = 1.0 - rng.UniformDouble();  // (0, 1]
    const double u2 = rng.UniformDouble();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    v = SatInt16(std::llround(z * 256.0));
  }
  return h;
}

router::Routing ModelData::Route(uint32_t layer, std::span<const int8_t> x, uint8_t exponent) {
  return router::Route(router::RealLogits(Gate(layer), x, exponent), model_.router);
}

ModelData::DispatchPlan ModelData::Plan(uint32_t layer, std::span<const int16_t> h) {
  DispatchPlan plan;
  std::vector<int8_t> x(h.size());
  const uint8_t e = chips::DispatchExponent(h);
  chips::QuantizeForDispatch(h, e, x);
  const router::Routing routing = Route(layer, x, e);
  plan.combine = routing.selection;
  for (size_t i = 0; i < routing.selection.experts.size(); ++i) {
    DispatchPlan::Job job{routing.selection.experts[i], x, e};
    if (routing.weight_on_input) {
      // Llama 4: the gate weight scales the expert's input; its output is combined with 1.0.
      std::vector<int16_t> scaled(h.size());
      for (size_t j = 0; j < h.size(); ++j)
        scaled[j] = SatInt16(RoundShift(int64_t{h[j]} * routing.selection.weights_q15[i], 15));
      job.exponent = chips::DispatchExponent(scaled);
      chips::QuantizeForDispatch(scaled, job.exponent, job.x);
      plan.combine.weights_q15[i] = router::kQ15One;
    }
    plan.jobs.push_back(std::move(job));
  }
  // Shared experts: always selected, on the unscaled input, weight 1.
  for (uint32_t s = 0; s < model_.num_shared_experts; ++s) {
    plan.jobs.push_back(DispatchPlan::Job{model_.num_experts + s, x, e});
    plan.combine.experts.push_back(model_.num_experts + s);
    plan.combine.weights_q15.push_back(router::kQ15One);
  }
  return plan;
}

}  // namespace moefab
