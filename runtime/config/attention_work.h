// The attention chip's work model: the FLOPs and KV-cache bytes of one token's decode attention
// at one MoE layer (the first MoE layer also runs the dense layers before it), and the weight
// bytes of that layer, which a decode batch reads once (runtime/cluster/attention_batcher.h).
// Multi-head / grouped-query attention, or multi-head latent attention (MLA, DeepSeek-V2/V3,
// Kimi K2) with its up-projections absorbed for decode (DeepSeek-V2 report, arXiv 2405.04434
// §2.1.2: W_UK into the query, W_UV into the output): per head the query meets the cached
// latent and rotary key of every context token. A MAC is 2 FLOPs; weights are BF16.
// Omits: softmax, norms, rotary embedding and other elementwise work; writing the new KV entry.
#pragma once

#include <cstdint>

#include "runtime/config/options.h"

namespace moefab {

inline constexpr uint64_t kAttentionWeightBytes = 2;  // BF16 attention and dense-FFN weights

/// T = uint64_t in the run (exact), double for the load-time bounds (no wrap).
template <typename T>
struct AttentionWork {
  T flops = 0;         // one token: projections, attention over its context, dense layers
  T kv_bytes = 0;      // one token: its KV cache, read once
  T weight_bytes = 0;  // the layer's weights (and the dense layers'), read once per batch
};

/// One token's projections (MACs), its MACs per context token, and the layer's weights (count).
template <typename T>
struct AttentionShape {
  T projection_macs = 0, macs_per_context_token = 0, weights = 0;
};

template <typename T>
AttentionShape<T> AttentionShapeOf(const ModelOptions& m) {
  const T d = m.d_model, heads = m.num_heads;
  if (m.kv_lora_rank == 0) {
    // Q and O: d x (heads x head_dim) each; K and V: d x (kv_heads x head_dim) each; Q.K and A.V.
    const T q = heads * m.head_dim, kv = T(m.num_kv_heads) * m.head_dim;
    return {2 * d * q + 2 * d * kv, 2 * q, 2 * d * q + 2 * d * kv};
  }
  const T rope = m.qk_rope_head_dim, nope = T(m.head_dim) - rope, latent = m.kv_lora_rank, v = m.v_head_dim;
  const T q_lora = m.q_lora_rank;
  const T query = q_lora > 0 ? d * q_lora + q_lora * heads * (nope + rope) : d * heads * (nope + rope);
  const T kv_down = d * (latent + rope);  // the cached latent and rotary key of the new token
  const T out = heads * v * d;
  // Absorbed: the non-rotary query through W_UK (heads x nope x latent), the attention output
  // through W_UV (heads x latent x v); scores over latent + rope, values over the latent.
  return {query + kv_down + heads * nope * latent + heads * latent * v + out, heads * (2 * latent + rope),
          query + kv_down + latent * heads * (nope + v) + out};
}

template <typename T>
AttentionWork<T> AttentionWorkOf(const ModelOptions& m, T context, bool first_layer) {
  const auto s = AttentionShapeOf<T>(m);
  const T attention_flops = 2 * (s.projection_macs + context * s.macs_per_context_token);
  AttentionWork<T> w;
  w.flops = attention_flops;
  w.kv_bytes = context * T(m.kv_bytes_per_token_layer);
  w.weight_bytes = s.weights * T(kAttentionWeightBytes);
  if (first_layer && m.num_dense_layers > 0) {
    const T dense = m.num_dense_layers, ffn = 3 * T(m.d_model) * m.dense_ffn_width;
    w.flops += dense * (attention_flops + 2 * ffn);
    w.kv_bytes += dense * context * T(m.kv_bytes_per_token_layer);
    w.weight_bytes += dense * (s.weights + ffn) * T(kAttentionWeightBytes);
  }
  return w;
}

/// Time of `flops` and `bytes` on an attention chip: the slower of compute and memory (s).
inline double AttentionSeconds(const SkuOptions& sku, double flops, double bytes) {
  const double compute_s = sku.compute_tflops > 0 ? flops / (sku.compute_tflops * 1e12) : 0;
  const double memory_s = sku.memory_gbytes_per_s > 0 ? bytes / (sku.memory_gbytes_per_s * 1e9) : 0;
  return compute_s > memory_s ? compute_s : memory_s;
}

}  // namespace moefab
