// Router rules: how each MoE model turns a token's gate logits into its experts and weights,
// as the models' reference code defines them (docs/REFERENCES.md R-ROUTERS). Pure.
//
// Models: softmax top-k renormalised (Mixtral, Qwen3, DBRX), softmax top-k not renormalised
// (OLMoE, DeepSeek-V2-Lite), sigmoid + selection bias with group-limited top-k, renormalised
// and scaled (DeepSeek-V3), top-k on logits then softmax over the chosen (gpt-oss), top-1 with
// a sigmoid weight applied to the expert input (Llama 4). Shared experts are added by the
// caller (always selected, weight 1). Logits are real numbers (the int32 gate dot products
// times their scale, plus any router bias), computed by the caller; ties always go to the
// lower expert id (or group id), so the result is deterministic. Weights are Q1.15 fixed point
// (32768 = 1.0), uint32 because scaled rules exceed 1.
// Omits: training-time balancing (aux losses, bias updates), capacity (see the runtime).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "router/topk.h"

namespace moefab::router {

enum class Rule : uint8_t {
  kSoftmaxTopKRenorm = 0,  // p = softmax(all); top-k; weights renormalised to sum 1
  kSoftmaxTopK = 1,        // p = softmax(all); top-k; weights are the raw p (sum < 1)
  kSigmoidGroupTopK = 2,   // DeepSeek-V3: s = sigmoid; select on s + bias, group-limited
  kTopKSoftmax = 3,        // gpt-oss: top-k on logits, softmax over the k chosen
  kTop1SigmoidInput = 4,   // Llama 4: top-1 on logits, weight sigmoid(logit) on the input
};

const char* RuleName(Rule r);

struct RouterParams {
  Rule rule = Rule::kSoftmaxTopKRenorm;
  uint32_t top_k = 1;                  // experts chosen per token
  uint32_t num_groups = 1;             // kSigmoidGroupTopK: expert groups (E divisible by it)
  uint32_t topk_groups = 1;            // kSigmoidGroupTopK: groups kept per token
  double routed_scaling = 1.0;         // multiplies the weights (DeepSeek-V3: 2.5)
  std::vector<double> selection_bias;  // kSigmoidGroupTopK: per expert, selection only; empty = 0
};

/// Throws ConfigError when the params do not fit `num_experts`.
void ValidateRouterParams(const RouterParams& p, uint32_t num_experts);

struct Routing {
  Selection selection;           // experts ascending, Q1.15 weights
  bool weight_on_input = false;  // Llama 4: scale the expert's input, combine with 1.0
};

/// Applies the rule to one token's real-valued logits (one per routed expert).
Routing Route(std::span<const double> logits, const RouterParams& params);

}  // namespace moefab::router
