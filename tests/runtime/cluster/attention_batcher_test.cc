// The attention work model and continuous batching, against batches computed by hand: MLA
// counted with absorbed projections, the layer's weights read once per batch, the KV cache
// per token, the dense layers at the first MoE layer, and which batch is due when.
#include "runtime/cluster/attention_batcher.h"

#include <gtest/gtest.h>

#include "runtime/cluster/memory_expert_chip.h"
#include "runtime/config/attention_work.h"

namespace moefab {
namespace {

// d 64, one head of 128, KV 512 B per context token: weights Q, K, V, O = 4 x 64 x 128 = 32768
// (65536 B); a token over C context tokens: 2 x (32768 + 256 C) FLOPs and 512 C KV bytes.
ModelOptions Small() {
  ModelOptions m;
  m.d_model = 64;
  m.num_heads = m.num_kv_heads = 1;
  m.head_dim = 128;
  m.kv_bytes_per_token_layer = 512;
  return m;
}

SkuOptions Chip(uint32_t max_batch, Tick wait_ps) {
  SkuOptions s;
  s.kind = ChipKind::kAttention;
  s.compute_tflops = 100;        // 1e14 FLOP/s: 1 FLOP = 0.01 ps
  s.memory_gbytes_per_s = 1000;  // 1e12 B/s: 1 B = 1 ps
  s.batching = AttentionBatching::kContinuous;
  s.max_batch_tokens = max_batch;
  s.max_batch_wait_ps = wait_ps;
  return s;
}

TEST(AttentionWorkTest, MlaIsCountedWithAbsorbedProjections) {
  ModelOptions m;  // DeepSeek-V3: d 7168, 128 heads of 128 + 64, latent 512, query rank 1536, v 128
  m.d_model = 7168;
  m.num_heads = m.num_kv_heads = 128;
  m.head_dim = 192;
  m.kv_lora_rank = 512;
  m.q_lora_rank = 1536;
  m.qk_rope_head_dim = 64;
  m.v_head_dim = 128;
  const auto mla = AttentionShapeOf<uint64_t>(m);
  // Query 7168 x 1536 + 1536 x 128 x 192, latent and rotary key 7168 x 576, W_UK 128 x 128 x 512,
  // W_UV 128 x 512 x 128, output 128 x 128 x 7168: 187,105,280 (the published attention
  // parameters per layer, q_a + q_b + kv_a + kv_b + o, are the same sum).
  EXPECT_EQ(mla.projection_macs, 187105280u);
  EXPECT_EQ(mla.weights, 187105280u);
  EXPECT_EQ(mla.macs_per_context_token, 128u * (512 + 64 + 512));
  // As 128-head MHA of 192 (what moefab counted before): Q, K, V, O of 7168 x 24576.
  m.kv_lora_rank = 0;
  const auto mha = AttentionShapeOf<uint64_t>(m);
  EXPECT_EQ(mha.projection_macs, 4u * 7168 * 24576);
  EXPECT_EQ(mha.macs_per_context_token, 2u * 24576);
  // At DeepSeek's mean context of 4,989: 1.764 GFLOP per token and layer instead of 1.900.
  m.kv_lora_rank = 512;
  EXPECT_EQ(AttentionWorkOf<uint64_t>(m, 4989, false).flops, 2 * (187105280u + 4989u * 139264));
}

TEST(AttentionWorkTest, FirstLayerAddsTheDenseLayers) {
  ModelOptions m = Small();
  m.num_dense_layers = 1;
  m.dense_ffn_width = 256;  // FFN 3 x 64 x 256 = 49152 weights
  const auto w = AttentionWorkOf<uint64_t>(m, 100, true);
  EXPECT_EQ(w.flops, 2u * (2 * (32768 + 25600) + 49152));
  EXPECT_EQ(w.kv_bytes, 2u * 51200);
  EXPECT_EQ(w.weight_bytes, 2u * (32768 + 32768 + 49152));
  EXPECT_EQ(AttentionWorkOf<uint64_t>(m, 100, false).weight_bytes, 65536u);
}

TEST(AttentionBatcherTest, ABatchReadsItsLayersWeightsOnceAndEveryTokensKv) {
  const ModelOptions m = Small();
  const SkuOptions s = Chip(8, 0);
  const AttentionBatcher b(s, m);
  // 4 tokens at layer 1, context 1000: 4 x 512,000 KV + 65,536 weights = 2,113,536 B (ps);
  // FLOPs 4 x 577,536 = 2,310,144 (23,101 ps): memory-bound.
  const auto four = b.Time({{0, 1, 1000, 0}, {1, 1, 1000, 0}, {2, 1, 1000, 0}, {3, 1, 1000, 0}});
  EXPECT_EQ(four.attention_ps, 2113536u);
  EXPECT_EQ(four.flops, 2310144u);
  // 3 tokens of context 100: 3 x 51,200 + 65,536 = 219,136 B.
  EXPECT_EQ(b.Time({{0, 2, 100, 0}, {1, 2, 100, 0}, {2, 2, 100, 0}}).attention_ps, 219136u);
  // Without memory bandwidth the batch is compute-bound: 2,310,144 FLOPs at 1e14 = 23,101.44 ps.
  SkuOptions compute_only = s;
  compute_only.memory_gbytes_per_s = 0;
  EXPECT_EQ(AttentionBatcher(compute_only, m).Time(four.tokens).attention_ps, 23101u);
}

TEST(AttentionBatcherTest, ABatchRunsTheOldestsLayerWhenFullOrWhenTheOldestHasWaited) {
  const ModelOptions m = Small();
  const SkuOptions s = Chip(2, 1000);
  AttentionBatcher b(s, m);
  EXPECT_EQ(b.NextStartPs(0), kTickMax);
  b.Add({10, 0, 5, 0});
  b.Add({11, 1, 5, 100});
  EXPECT_EQ(b.NextStartPs(0), 1000u);  // one token of layer 0: the oldest (0) waits 1000 ps
  EXPECT_EQ(b.NextStartPs(999), 1000u);
  EXPECT_EQ(b.NextStartPs(5000), 5000u);  // the core is busy until 5000
  b.Add({12, 1, 5, 150});                  // fills layer 1, but layer 0 is the oldest's
  EXPECT_EQ(b.NextStartPs(0), 1000u);
  b.Add({13, 0, 5, 200});
  EXPECT_EQ(b.NextStartPs(0), 200u);  // layer 0 full when the second came
  EXPECT_EQ(b.NextStartPs(301), 301u);
  const auto batch = b.Take();
  ASSERT_EQ(batch.tokens.size(), 2u);
  EXPECT_EQ(batch.tokens.front().token, 10u);
  EXPECT_EQ(batch.tokens.back().token, 13u);
  // Layer 0, context 5: 2 x 2,560 KV + 65,536 weights = 70,656 B.
  EXPECT_EQ(batch.attention_ps, 70656u);
  EXPECT_EQ(b.waiting(), 2u);
  EXPECT_EQ(b.NextStartPs(0), 150u);  // now layer 1 is the oldest's, full since token 12 came
  const auto next = b.Take();
  ASSERT_EQ(next.tokens.size(), 2u);
  EXPECT_EQ(next.tokens.front().token, 11u);
  EXPECT_TRUE(b.empty());
}

TEST(MemoryExpertChipTest, ABatchReadsTheExpertOnceAndComputesEveryJob) {
  const SkuOptions s = Chip(64, 0);  // 1e12 B/s, 1e14 FLOP/s
  // 12,288 B of weights: 12,288 ps. 24,576 MACs per job: 491.52 ps each.
  EXPECT_EQ(MemoryBatchPs(s, 12288, 24576, 1), 12288u);
  EXPECT_EQ(MemoryBatchPs(s, 12288, 24576, 25), 12288u);  // 12,288 ps of compute: a tie
  EXPECT_EQ(MemoryBatchPs(s, 12288, 24576, 26), 12780u);  // compute-bound: 26 x 491.52 = 12,779.52
  EXPECT_EQ(MemoryBatchPs(s, 12288, 24576, 64), 31457u);
}

}  // namespace
}  // namespace moefab
