#include "runtime/cluster/attention_batcher.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "runtime/config/attention_work.h"

namespace moefab {

Tick AttentionBatcher::NextStartPs(Tick core_free_ps) const {
  if (waiting_.empty()) return kTickMax;
  // The next batch runs the oldest token's layer. Full: when the token that fills it with
  // tokens of that layer arrived; else when the oldest has waited long enough.
  const uint32_t layer = waiting_.front().layer;
  uint32_t count = 0;
  for (const Request& r : waiting_)
    if (r.layer == layer && ++count == sku_.max_batch_tokens) return std::max(core_free_ps, r.ready_ps);
  return std::max(core_free_ps, waiting_.front().ready_ps + sku_.max_batch_wait_ps);
}

AttentionBatcher::Batch AttentionBatcher::Take() {
  const uint32_t layer = waiting_.front().layer;
  std::vector<Request> tokens;
  for (auto it = waiting_.begin(); it != waiting_.end() && tokens.size() < sku_.max_batch_tokens;) {
    if (it->layer != layer) {
      ++it;
      continue;
    }
    tokens.push_back(*it);
    it = waiting_.erase(it);
  }
  return Time(std::move(tokens));
}

AttentionBatcher::Batch AttentionBatcher::Time(std::vector<Request> tokens) const {
  Batch b;
  uint64_t bytes = 0;
  for (const Request& r : tokens) {
    MOEFAB_CHECK(r.layer == tokens.front().layer, "a batch of layers " << tokens.front().layer << " and " << r.layer);
    const auto w = AttentionWorkOf<uint64_t>(model_, r.context, r.layer == 0);
    b.flops += w.flops;
    bytes += w.kv_bytes;
    if (&r == &tokens.front()) bytes += w.weight_bytes;  // the layer's weights once
  }
  b.attention_ps = static_cast<Tick>(
      std::llround(AttentionSeconds(sku_, static_cast<double>(b.flops), static_cast<double>(bytes)) * 1e12));
  b.tokens = std::move(tokens);
  return b;
}

}  // namespace moefab
