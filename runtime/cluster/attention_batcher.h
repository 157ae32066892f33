// Continuous batching on an attention chip's core (SKU attention_batching CONTINUOUS): tokens
// ready for attention at some layer wait here. The next batch runs the layer of the oldest
// waiting token with up to max_batch_tokens waiting tokens of that layer, oldest first; it
// starts when the core is free and either it is full or the oldest has waited max_batch_wait.
// It takes max(FLOPs / compute, bytes / memory bandwidth): every token's FLOPs and KV cache,
// and the layer's weights once (runtime/config/attention_work.h). Then the core runs each
// token's gate, one after the other, in the batch's order.
// Pure bookkeeping: no clock and no events; the attention chip asks when the next batch is
// due and schedules its own event (attention_chip.h).
#pragma once

#include <cstdint>
#include <deque>
#include <type_traits>
#include <vector>

#include "core/types.h"
#include "runtime/config/options.h"

namespace moefab {

class AttentionBatcher {
 public:
  struct Request {
    uint32_t token = 0;    // token id
    uint32_t layer = 0;    // MoE layer it is about to run
    uint32_t context = 0;  // its context length
    Tick ready_ps = 0;     // when it became ready for attention
  };
  static_assert(std::is_trivially_copyable_v<Request>);  // checkpoints write it as bytes
  struct Batch {
    std::vector<Request> tokens;  // in arrival order
    Tick attention_ps = 0;        // the batch's attention (before the gates)
    uint64_t flops = 0;           // its attention and dense-layer FLOPs
  };

  /// `sku` and `model` are borrowed and outlive the batcher.
  AttentionBatcher(const SkuOptions& sku, const ModelOptions& model) : sku_(sku), model_(model) {}

  void Add(const Request& r) { waiting_.push_back(r); }
  [[nodiscard]] bool empty() const { return waiting_.empty(); }
  [[nodiscard]] size_t waiting() const { return waiting_.size(); }

  /// The earliest tick the next batch may start with the core free from `core_free_ps`:
  /// kTickMax when nobody waits.
  [[nodiscard]] Tick NextStartPs(Tick core_free_ps) const;

  /// Takes the next batch (the oldest token's layer, up to max_batch_tokens, oldest first) and
  /// times it.
  Batch Take();

  /// The time of a batch of these tokens, all at one layer (ps), and its FLOPs.
  [[nodiscard]] Batch Time(std::vector<Request> tokens) const;

  /// Checkpoints (core/state_archive.h): the tokens waiting.
  template <class Ar>
  void Archive(Ar& ar) {
    ar(waiting_);
  }

 private:
  const SkuOptions& sku_;       // borrowed: rates and batching limits
  const ModelOptions& model_;   // borrowed: the attention shape
  std::deque<Request> waiting_;  // ready tokens, oldest first
};

}  // namespace moefab
