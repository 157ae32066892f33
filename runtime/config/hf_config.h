// Hugging Face config.json import: fills the shape and router fields of a model from the
// config.json a model ships with, for the families moefab can run.
//
// model_type -> rule (and what else is fixed by the family):
//   mixtral, qwen3_moe, dbrx   SOFTMAX_TOPK_RENORM (SOFTMAX_TOPK when norm_topk_prob false /
//                              dbrx moe_normalize_expert_weights null)
//   qwen3_next                 as qwen3_moe, plus its shared expert (below); its linear-attention
//                              layers are timed as full attention
//   qwen2_moe                  SOFTMAX_TOPK (RENORM when norm_topk_prob true), plus its shared
//                              expert: shared_expert_intermediate_size / moe_intermediate_size
//                              shared experts of the routed width (its sigmoid gate not modelled)
//   olmoe                      SOFTMAX_TOPK (RENORM when norm_topk_prob true)
//   deepseek_v2                softmax, topk_method greedy: SOFTMAX_TOPK or RENORM by norm_topk_prob
//   deepseek_v3, kimi_k2       SIGMOID_GROUP_TOPK, n_group, topk_group, routed_scaling_factor
//   glm4_moe                   as deepseek_v3 (sigmoid, noaux_tc, shared experts, first dense
//                              layers) with grouped-query attention (head_dim) instead of MLA
//   gpt_oss                    TOPK_SOFTMAX, SWIGLU_CLAMPED, MXFP4 (the shipped expert format)
//   granitemoe                 TOPK_SOFTMAX (top-k router logits, softmax over the k)
//   llama4, llama4_text        TOP1_SIGMOID_INPUT, one shared expert of the expert width
// MoE layers = num_hidden_layers minus the dense-FFN layers (DeepSeek first_k_dense_replace and
// moe_layer_freq, Qwen3 mlp_only_layers and decoder_sparse_step, Llama 4 moe_layers or
// interleave_moe_layer_step); the dense ones become num_dense_layers with dense_ffn_width.
// The MTP layer of DeepSeek-V3 (num_nextn_predict_layers) is not counted.
// Attention: num_heads, num_kv_heads, head_dim (hidden_size / heads when the file has no
// head_dim); for MLA (deepseek_*) head_dim = qk_nope_head_dim + qk_rope_head_dim and
// kv_bytes_per_token_layer = 2 x (kv_lora_rank + qk_rope_head_dim) (the BF16 latent cache).
// name = _name_or_path, else the file name without ".json".
#pragma once

#include <string>
#include <vector>

namespace moefab::config {
class Model;  // configs/moefab.proto (moefab.pb.h)
}  // namespace moefab::config

namespace moefab {

/// Reads the config.json at `path` and sets every shape/router field of `model` that is still
/// 0 / unspecified / empty; fields already set are kept (the config file overrides the JSON).
/// Throws ConfigError naming the file, the key (e.g. text_config.hidden_size), the value found
/// and what was expected: bad JSON (with line:column), unknown or missing model_type, a
/// missing required key, a value of the wrong type or range, a family setting moefab does not
/// model (e.g. scoring_func softmax on deepseek_v3, swiglu_limit other than 7.0).
/// `notes` (if given) receives one line per key the file leaves out that a default stood in for
/// ("<file>: decoder_sparse_step absent; took 1 (MoE layer every N layers)") and per
/// approximation of the family.
void ApplyHfConfig(const std::string& path, moefab::config::Model& model, std::vector<std::string>* notes = nullptr);

}  // namespace moefab
