#include "runtime/plan/model_data.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <tuple>

#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "core/error.h"
#include "core/rng.h"

namespace moefab {

namespace {
// Stream tags keep the expert, gate and input streams apart for equal seeds.
constexpr uint64_t kExpertStream = 1;
constexpr uint64_t kGateStream = 2;
constexpr uint64_t kInputStream = 3;

// Synthetic experts are a pure function of (shape, format, activation, seed): one process
// builds each once while anything holds it. The golden check and the quantisation figures then
// use the very weights the chips of this rank were built from (as they would be read again from
// a file), and a sweep's points share them; entries die with their last holder.
using SyntheticKey = std::tuple<uint32_t, uint32_t, chips::WeightFormat, chips::Activation, uint64_t>;
template <class T>
class SharedCache {
 public:
  template <class Make>
  std::shared_ptr<const T> Get(const SyntheticKey& key, Make make) {
    {
      std::lock_guard lock(mu_);
      if (auto hit = map_[key].lock()) return hit;
    }
    std::shared_ptr<const T> made = make();  // outside the lock: building takes long
    std::lock_guard lock(mu_);
    if (auto raced = map_[key].lock()) return raced;
    map_[key] = made;
    if (map_.size() >= 2 * live_at_sweep_ + 64) {  // drop the dead entries now and then
      std::erase_if(map_, [](const auto& e) { return e.second.expired(); });
      live_at_sweep_ = map_.size();
    }
    return made;
  }

 private:
  std::mutex mu_;
  std::map<SyntheticKey, std::weak_ptr<const T>> map_;
  size_t live_at_sweep_ = 0;
};
SharedCache<chips::ExpertWeights>& SyntheticExperts() {
  static SharedCache<chips::ExpertWeights> cache;
  return cache;
}
SharedCache<chips::PreparedExpert>& SyntheticGolden() {
  static SharedCache<chips::PreparedExpert> cache;
  return cache;
}
// The cache key of the synthetic (layer, expert) of model m, and its weights from the cache.
SyntheticKey KeyOf(const ModelOptions& m, chips::WeightFormat format, uint32_t layer, uint32_t expert) {
  return {m.d_model, m.expert_width, format, m.activation, MixSeed(m.weight_seed, kExpertStream, layer, expert)};
}
std::shared_ptr<const chips::ExpertWeights> SyntheticExpert(const ModelOptions& m, chips::WeightFormat format,
                                                            uint32_t layer, uint32_t expert) {
  const SyntheticKey key = KeyOf(m, format, layer, expert);
  return SyntheticExperts().Get(key, [&] {
    return std::make_shared<const chips::ExpertWeights>(chips::MakeSyntheticExpertWeights(
        chips::ExpertShape{m.d_model, m.expert_width}, format, m.activation, std::get<4>(key)));
  });
}
}  // namespace

ModelData::ModelData(const RunOptions& options, const ClusterPlan& plan)
    : model_(options.model),
      input_seed_(options.workload.input_seed),
      table_(plan.routing_table),
      expert_format_(plan.expert_format) {
  if (!model_.safetensors.empty())
    file_ = std::make_unique<chips::SafetensorsFile>(chips::SafetensorsFile::Open(model_.safetensors));
}

namespace {
std::string LayerPrefix(const ModelOptions& m, uint32_t layer) {
  return m.tensor_prefix + std::to_string(layer) + ".";
}
}  // namespace

ModelData::~ModelData() = default;

chips::WeightFormat ModelData::FormatOf(uint32_t layer, uint32_t expert) const {
  const size_t i = static_cast<size_t>(layer) * model_.experts_per_layer() + expert;
  return i < expert_format_.size() ? expert_format_[i] : model_.format;
}

std::shared_ptr<const chips::ExpertWeights> ModelData::Expert(uint32_t layer, uint32_t expert) {
  auto& slot = experts_[{layer, expert}];
  if (slot) return slot;
  const chips::ExpertShape shape{model_.d_model, model_.expert_width};
  if (!file_) {
    slot = SyntheticExpert(model_, FormatOf(layer, expert), layer, expert);
  } else if (model_.layout == ModelOptions::Layout::kGptOssMxfp4) {
    // Native MXFP4 blocks and exponents, as gpt-oss ships them.
    slot = std::make_shared<const chips::ExpertWeights>(
        chips::LoadGptOssExpert(*file_, LayerPrefix(model_, layer) + "mlp.experts.", expert, shape));
  } else {
    slot = std::make_shared<const chips::ExpertWeights>(chips::LoadQuantizedExpert(
        *file_, FloatTensorsOf(layer, expert), shape, FormatOf(layer, expert), model_.activation));
  }
  return slot;
}

void ModelData::Prefetch(std::span<const std::pair<uint32_t, uint32_t>> experts, unsigned threads) {
  std::vector<std::pair<uint32_t, uint32_t>> todo;
  for (const auto& le : experts)
    if (!experts_.count(le) && std::find(todo.begin(), todo.end(), le) == todo.end()) todo.push_back(le);
  if (file_ || threads <= 1 || todo.size() <= 1) {
    for (const auto& [layer, expert] : todo) (void)Expert(layer, expert);
    return;
  }
  // Each worker builds whole experts into its own result slots; the cache takes them after.
  std::vector<std::shared_ptr<const chips::ExpertWeights>> built(todo.size());
  std::vector<std::exception_ptr> errors(todo.size());
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < todo.size();) {
      const auto [layer, expert] = todo[i];
      try {
        built[i] = SyntheticExpert(model_, FormatOf(layer, expert), layer, expert);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<size_t>(threads, todo.size()); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < todo.size(); ++i) {
    if (errors[i]) std::rethrow_exception(errors[i]);  // the first in order: the same on every run
    experts_[todo[i]] = std::move(built[i]);
  }
}

unsigned ModelData::SetupThreads() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned ranks_here = 1;  // Open MPI tells each rank how many share its host
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) ranks_here = std::max(1, std::atoi(local));
  return std::max(1u, cores / ranks_here);
}

chips::FloatExpertTensors ModelData::FloatTensorsOf(uint32_t layer, uint32_t expert) const {
  const std::string p = LayerPrefix(model_, layer) + "experts." + std::to_string(expert) + ".";
  chips::FloatExpertTensors names;
  names.w_gate = p + "gate_proj.weight";
  names.w_up = p + "up_proj.weight";
  names.w_down = p + "down_proj.weight";
  if (file_->Find(p + "gate_proj.bias")) names.b_gate = p + "gate_proj.bias";
  if (file_->Find(p + "up_proj.bias")) names.b_up = p + "up_proj.bias";
  if (file_->Find(p + "down_proj.bias")) names.b_down = p + "down_proj.bias";
  return names;
}

void ModelData::CheckWeightFile() {
  if (!file_) return;
  for (uint32_t layer = 0; layer < model_.num_layers; ++layer) {
    try {
      (void)Gate(layer);
    } catch (const ConfigError& e) {
      throw ConfigError(model_.safetensors + ": layer " + std::to_string(layer) + " router: " + e.what() +
                        " (model.weights.safetensors)");
    }
    if (model_.layout == ModelOptions::Layout::kGptOssMxfp4)
      chips::CheckGptOssExperts(*file_, LayerPrefix(model_, layer) + "mlp.experts.",
                                chips::ExpertShape{model_.d_model, model_.expert_width});
    if (model_.layout != ModelOptions::Layout::kFloatNamed) continue;
    for (uint32_t expert = 0; expert < model_.num_experts; ++expert)
      (void)chips::LoadFloatExpert(*file_, FloatTensorsOf(layer, expert),
                                   chips::ExpertShape{model_.d_model, model_.expert_width});
  }
}

std::shared_ptr<const chips::PreparedExpert> ModelData::Golden(uint32_t layer, uint32_t expert) {
  auto& slot = golden_[{layer, expert}];
  if (slot) return slot;
  if (file_) {
    slot = chips::PrepareGolden(*Expert(layer, expert));
  } else {
    slot = SyntheticGolden().Get(KeyOf(model_, FormatOf(layer, expert), layer, expert),
                                 [&] { return chips::PrepareGolden(*Expert(layer, expert)); });
  }
  return slot;
}

const router::GateWeights& ModelData::Gate(uint32_t layer) {
  auto it = gates_.find(layer);
  if (it == gates_.end()) {
    router::GateWeights gate;
    if (!file_) {
      gate = router::MakeSyntheticGateWeights(model_.num_experts, model_.d_model,
                                              MixSeed(model_.weight_seed, kGateStream, layer));
      gate.scale = model_.gate_logit_scale;
    } else {
      // Float router weights [E][D] (and gpt-oss's router bias), quantised to int8.
      const bool gpt_oss = model_.layout == ModelOptions::Layout::kGptOssMxfp4;
      const std::string name = LayerPrefix(model_, layer) + (gpt_oss ? "mlp.router.weight" : "gate.weight");
      const auto& info = file_->Get(name);
      file_->CheckShape(info, {model_.num_experts, model_.d_model}, "router weight");
      std::vector<double> bias;
      const std::string bias_name = LayerPrefix(model_, layer) + (gpt_oss ? "mlp.router.bias" : "gate.bias");
      if (file_->Find(bias_name)) {
        file_->CheckShape(file_->Get(bias_name), {model_.num_experts}, "router bias");
        for (float b : file_->ReadFloat(bias_name)) bias.push_back(b);
      }
      gate =
          router::QuantizeGate(file_->ReadFloat(name), model_.num_experts, model_.d_model, 1.0 / 256, std::move(bias));
    }
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

ModelData::DispatchPlan ModelData::Plan(uint32_t token, uint32_t layer, std::span<const int16_t> h) {
  DispatchPlan plan;
  std::vector<int8_t> x(h.size());
  const uint8_t e = h.empty() ? 0 : chips::DispatchExponent(h);
  if (!h.empty()) chips::QuantizeForDispatch(h, e, x);
  router::Routing routing;
  if (table_) {
    routing.selection = table_->At(token, layer);
    routing.weight_on_input = model_.router.rule == router::Rule::kTop1SigmoidInput;
  } else {
    MOEFAB_CHECK(!h.empty(), "gate routing needs the hidden state (token " << token << ")");
    routing = Route(layer, x, e);
  }
  plan.combine = routing.selection;
  plan.routed = routing.selection;
  for (size_t i = 0; i < routing.selection.experts.size(); ++i) {
    DispatchPlan::Job job{routing.selection.experts[i], x, e};
    if (routing.weight_on_input) {
      // Llama 4: the gate weight scales the expert's input; its output is combined with 1.0.
      if (!h.empty()) {
        std::vector<int16_t> scaled(h.size());
        for (size_t j = 0; j < h.size(); ++j)
          scaled[j] = SatInt16(RoundShift(int64_t{h[j]} * routing.selection.weights_q15[i], 15));
        job.exponent = chips::DispatchExponent(scaled);
        chips::QuantizeForDispatch(scaled, job.exponent, job.x);
      }
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

void ModelData::Drop(DispatchPlan& plan, std::span<const uint32_t> dropped, uint32_t num_routed) {
  if (dropped.empty()) return;
  uint64_t total = 0, kept = 0;
  for (size_t i = 0; i < plan.combine.experts.size(); ++i) {
    if (plan.combine.experts[i] >= num_routed) continue;
    total += plan.combine.weights_q15[i];
    if (!std::binary_search(dropped.begin(), dropped.end(), plan.combine.experts[i]))
      kept += plan.combine.weights_q15[i];
  }
  DispatchPlan out;
  uint64_t given = 0;
  size_t last_routed = SIZE_MAX;
  for (size_t i = 0; i < plan.combine.experts.size(); ++i) {
    const uint32_t ex = plan.combine.experts[i];
    const bool routed = ex < num_routed;
    if (routed && std::binary_search(dropped.begin(), dropped.end(), ex)) continue;
    uint32_t w = plan.combine.weights_q15[i];
    if (routed) {
      w = kept == 0 ? 0 : static_cast<uint32_t>((uint64_t{w} * total + kept / 2) / kept);
      given += w;
      last_routed = out.combine.experts.size();
    }
    out.jobs.push_back(std::move(plan.jobs[i]));
    out.combine.experts.push_back(ex);
    out.combine.weights_q15.push_back(w);
  }
  // Rounding: the last kept routed expert takes the remainder so the sum is unchanged.
  if (last_routed != SIZE_MAX)
    out.combine.weights_q15[last_routed] = static_cast<uint32_t>(out.combine.weights_q15[last_routed] + total - given);
  plan = std::move(out);
}

}  // namespace moefab
