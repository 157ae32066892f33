#include "runtime/cluster/attention_batcher.h"

#include <algorithm>
#include <cmath>

#include "runtime/config/attention_work.h"

namespace moefab {

Tick AttentionBatcher::NextStartPs(Tick core_free_ps) const {
  if (waiting_.empty()) return kTickMax;
  // Full: when the token that fills it arrived; else when the oldest has waited long enough.
  const Tick due = waiting_.size() >= sku_.max_batch_tokens ? waiting_[sku_.max_batch_tokens - 1].ready_ps
                                                            : waiting_.front().ready_ps + sku_.max_batch_wait_ps;
  return std::max(core_free_ps, due);
}

AttentionBatcher::Batch AttentionBatcher::Take() {
  const auto n = static_cast<std::ptrdiff_t>(std::min<size_t>(waiting_.size(), sku_.max_batch_tokens));
  std::vector<Request> tokens(waiting_.begin(), waiting_.begin() + n);
  waiting_.erase(waiting_.begin(), waiting_.begin() + n);
  return Time(std::move(tokens));
}

AttentionBatcher::Batch AttentionBatcher::Time(std::vector<Request> tokens) const {
  Batch b;
  uint64_t bytes = 0;
  std::vector<uint32_t> layers;
  for (const Request& r : tokens) {
    const auto w = AttentionWorkOf<uint64_t>(model_, r.context, r.layer == 0);
    b.flops += w.flops;
    bytes += w.kv_bytes;
    if (std::find(layers.begin(), layers.end(), r.layer) == layers.end()) {
      layers.push_back(r.layer);
      bytes += w.weight_bytes;  // each distinct layer's weights once
    }
  }
  b.attention_ps = static_cast<Tick>(
      std::llround(AttentionSeconds(sku_, static_cast<double>(b.flops), static_cast<double>(bytes)) * 1e12));
  b.tokens = std::move(tokens);
  return b;
}

}  // namespace moefab
