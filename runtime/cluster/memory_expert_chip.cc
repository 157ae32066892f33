#include "runtime/cluster/memory_expert_chip.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "runtime/config/attention_work.h"

namespace moefab {

Tick MemoryBatchPs(const SkuOptions& sku, uint64_t weight_bytes, uint64_t macs_per_job, uint32_t jobs) {
  const double flops = 2.0 * static_cast<double>(macs_per_job) * jobs;
  return static_cast<Tick>(std::llround(AttentionSeconds(sku, flops, static_cast<double>(weight_bytes)) * 1e12));
}

MemoryExpertChip::MemoryExpertChip(NodeId node, const SkuOptions& sku, const RunOptions& options,
                                   std::vector<std::pair<uint32_t, uint32_t>> slots)
    : node_(node), sku_(sku), slots_(std::move(slots)) {
  const auto& m = options.model;
  weight_bytes_ = (SlotWeightBits(m, sku) + 7) / 8;
  macs_per_job_ = 3 * uint64_t{m.d_model} * m.expert_width;
  d_model_ = m.d_model;
  std::sort(slots_.begin(), slots_.end());
}

void MemoryExpertChip::OnDeliver(const Delivery& d, ChipActions& act) {
  MOEFAB_CHECK(std::binary_search(slots_.begin(), slots_.end(), std::make_pair(d.layer, d.expert)),
               "node " << node_ << " holds no slot for layer " << d.layer << " expert " << d.expert);
  waiting_.push_back(Job{d.token, d.layer, d.expert, d.src, act.now()});
  stats_.max_ingress = std::max<uint64_t>(stats_.max_ingress, waiting_.size());
  Arm(act);
}

Tick MemoryExpertChip::NextStartPs() const {
  if (waiting_.empty() || !running_.empty()) return kTickMax;
  const Job& oldest = waiting_.front();
  uint32_t count = 0;
  for (const Job& j : waiting_)
    if (j.layer == oldest.layer && j.expert == oldest.expert && ++count == sku_.max_batch_tokens)
      return std::max(free_ps_, j.delivered_ps);
  return std::max(free_ps_, oldest.delivered_ps + sku_.max_batch_wait_ps);
}

void MemoryExpertChip::Arm(ChipActions& act) {
  const Tick due = std::max(NextStartPs(), act.now());
  if (due == kTickMax || (!checks_.empty() && *checks_.begin() <= due)) return;
  checks_.insert(due);
  act.Schedule(node_, EventKind::kMemoryBatch, due, ChipEvent{});
}

void MemoryExpertChip::OnBatchCheck(ChipActions& act) {
  const Tick now = act.now();
  checks_.erase(checks_.find(now));
  if (NextStartPs() > now) {
    Arm(act);
    return;
  }
  const Job oldest = waiting_.front();
  for (auto it = waiting_.begin(); it != waiting_.end() && running_.size() < sku_.max_batch_tokens;) {
    if (it->layer != oldest.layer || it->expert != oldest.expert) {
      ++it;
      continue;
    }
    stats_.ingress_wait_ps += now - it->delivered_ps;
    running_.push_back(*it);
    it = waiting_.erase(it);
  }
  const auto jobs = static_cast<uint32_t>(running_.size());
  const Tick span = MemoryBatchPs(sku_, weight_bytes_, macs_per_job_, jobs);
  free_ps_ = now + span;
  stats_.busy_ps += span;
  stats_.slot_active_ps += span * jobs;
  stats_.compute_ps += span * jobs;
  ++batches_;
  act.Schedule(node_, EventKind::kMemoryBatchDone, free_ps_, ChipEvent{});
}

void MemoryExpertChip::OnBatchDone(ChipActions& act) {
  MOEFAB_CHECK(!running_.empty() && act.now() == free_ps_, "node " << node_ << ": no batch ends now");
  for (const Job& j : running_) act.Send(ResultMessage(node_, j.home, j.token, j.layer, j.expert, d_model_));
  stats_.jobs += running_.size();
  running_.clear();
  Arm(act);
}

}  // namespace moefab
