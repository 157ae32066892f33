// The functional model's constants and the routing step: expert weights (synthetic from the
// model's weight seed, or read from a safetensors file), gate weights, the tokens' input
// hidden states (from the workload's input seed) and the gate + top-k of one layer. Weights
// are built on first use and cached, so a rank only builds the experts it hosts.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "chips/numerics/expert_weights.h"
#include "chips/numerics/golden_expert.h"
#include "chips/numerics/safetensors.h"
#include "router/gate.h"
#include "router/routing_trace.h"
#include "router/topk.h"
#include "runtime/config/options.h"
#include "runtime/plan/cluster_plan.h"

namespace moefab {

class ModelData {
 public:
  /// Routing table and expert formats from `plan`.
  ModelData(const RunOptions& options, const ClusterPlan& plan);
  ~ModelData();

  /// Weights of (layer, expert): identical on every rank.
  std::shared_ptr<const chips::ExpertWeights> Expert(uint32_t layer, uint32_t expert);
  /// Builds the weights of those of `experts` ((layer, expert) pairs) not built yet, on up to
  /// `threads` threads: the same weights as one by one (each is a pure function of its seed),
  /// only sooner. Weight files are read one expert after another.
  void Prefetch(std::span<const std::pair<uint32_t, uint32_t>> experts, unsigned threads);
  /// Threads for start-up work: the cores of this host shared among the ranks on it.
  [[nodiscard]] static unsigned SetupThreads();
  /// The golden datapath of (layer, expert), prepared once (fast kernels).
  std::shared_ptr<const chips::PreparedExpert> Golden(uint32_t layer, uint32_t expert);
  /// With a weight file: reads every layer's router weights and every expert's tensors once
  /// (FLOAT_NAMED: the float tensors; gpt-oss MXFP4: layout, scales and biases), checking
  /// names, shapes and that every value is finite, so that a bad
  /// file is refused at load on every rank (ConfigError), not mid-run.
  void CheckWeightFile();
  /// Gate weights of a layer.
  const router::GateWeights& Gate(uint32_t layer);
  /// The input hidden state of a token: int16 at the residual scale 2^-8, real values ~N(0, 1).
  [[nodiscard]] std::vector<int16_t> InputHidden(uint32_t token) const;
  /// One layer's dispatch for a token with hidden state h: the gate and router rule on the
  /// dispatch-quantised activations, the shared experts, and what each expert receives.
  struct DispatchPlan {
    struct Job {
      uint32_t expert = 0;    // expert id (shared experts follow the routed ones)
      std::vector<int8_t> x;  // the activation bytes it receives
      uint8_t exponent = 0;   // their per-token exponent
    };
    std::vector<Job> jobs;      // ascending expert id
    router::Selection combine;  // the same experts with their combine weights (Q1.15)
    router::Selection routed;   // the router's choice as it chose it (trace files)
  };
  /// With a routing table (SYNTHETIC / TRACE source) the experts and weights of (token, layer)
  /// come from it; otherwise from the gate on h. Timing-only runs pass an empty h: the jobs
  /// then carry no activation bytes.
  DispatchPlan Plan(uint32_t token, uint32_t layer, std::span<const int16_t> h);
  /// Capacity overflow (DROP): removes the routed experts in `dropped` (ascending) from the
  /// plan and renormalises the remaining routed weights to their former sum (Q1.15, rounded,
  /// the last one takes the remainder). Shared experts are never dropped.
  static void Drop(DispatchPlan& plan, std::span<const uint32_t> dropped, uint32_t num_routed);
  /// The router's choice alone (experts ascending, routed weights), without shared experts.
  router::Routing Route(uint32_t layer, std::span<const int8_t> x, uint8_t exponent);
  [[nodiscard]] const ModelOptions& model() const { return model_; }

 private:
  ModelOptions model_;                                 // copy of the model options
  std::unique_ptr<chips::SafetensorsFile> file_;       // weight file, if the model names one
  uint64_t input_seed_;                                // workload input seed
  std::shared_ptr<const router::RoutingTrace> table_;  // SYNTHETIC / TRACE routing, or null
  std::vector<chips::WeightFormat> expert_format_;     // per (layer, expert) flat, or empty
  [[nodiscard]] chips::WeightFormat FormatOf(uint32_t layer, uint32_t expert) const;
  [[nodiscard]] chips::FloatExpertTensors FloatTensorsOf(uint32_t layer, uint32_t expert) const;
  std::map<std::pair<uint32_t, uint32_t>, std::shared_ptr<const chips::ExpertWeights>> experts_;
  std::map<uint32_t, router::GateWeights> gates_;  // per layer
  std::map<std::pair<uint32_t, uint32_t>, std::shared_ptr<const chips::PreparedExpert>> golden_;
};

}  // namespace moefab
