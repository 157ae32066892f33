// An expert chip whose weights live in its memory (SKU weight_style HBM): a GPU / HBM-class
// device to set beside the hardwired chips (hot experts hardwired, cold ones in HBM, or a whole
// GPU-like cluster). Jobs wait for their expert's batch; the chip runs one batch at a time:
// the oldest waiting job's (layer, expert) with up to max_batch_tokens of its waiting jobs,
// when the chip is free and the batch is full or the oldest has waited max_batch_wait_ns. A
// batch of B jobs takes max(weight bytes / memory bandwidth, B x 2 x MACs / compute): the
// expert's weights (gate, up, down in its format, or at memory_bits_per_weight bits each, e.g.
// FP8) read once, 3 x d_model x width MACs per job.
// The results leave when the batch ends.
// Timing only (the run has no weights; the loader refuses others): no values are computed.
// Omits: overlapping batches (a GPU runs several expert GEMMs at once), activation traffic to
// memory, the egress port's bandwidth (the fabric still serialises the results). Energy: its
// MACs count at the format's mac_pj like a hardwired chip's and its memory reads not at all
// (runtime/results/energy.h); a GPU-like chip is better given its board power as static_power_w.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <type_traits>
#include <vector>

#include "core/types.h"
#include "runtime/cluster/chip_actions.h"
#include "runtime/cluster/cluster_event.h"
#include "runtime/cluster/expert_chip.h"
#include "runtime/config/options.h"

namespace moefab {

/// The time of a batch of `jobs` jobs of one expert on a memory-bound chip (ps).
Tick MemoryBatchPs(const SkuOptions& sku, uint64_t weight_bytes, uint64_t macs_per_job, uint32_t jobs);

class MemoryExpertChip {
 public:
  /// `slots`: the (layer, expert) pairs placed here. `sku` and `options` are borrowed.
  MemoryExpertChip(NodeId node, const SkuOptions& sku, const RunOptions& options,
                   std::vector<std::pair<uint32_t, uint32_t>> slots);

  void OnDeliver(const Delivery& job, ChipActions& act);  // an expert-job message arrived
  void OnBatchCheck(ChipActions& act);                    // a batch may be due
  void OnBatchDone(ChipActions& act);                     // the running batch finished

  [[nodiscard]] const ExpertChipStats& stats() const { return stats_; }
  [[nodiscard]] uint32_t num_slots() const { return static_cast<uint32_t>(slots_.size()); }
  [[nodiscard]] uint64_t batches() const { return batches_; }
  [[nodiscard]] bool idle() const { return waiting_.empty() && running_.empty(); }

  /// Checkpoints (core/state_archive.h): the jobs waiting and running, the chip's clock and
  /// counters. The slots and rates come from the configuration.
  template <class Ar>
  void Archive(Ar& ar) {
    ar(waiting_, running_, free_ps_, checks_, batches_, stats_);
  }

 private:
  struct Job {
    uint32_t token = 0, layer = 0, expert = 0;
    NodeId home = 0;        // where the result goes
    Tick delivered_ps = 0;  // arrived at the chip
  };
  static_assert(std::is_trivially_copyable_v<Job>);  // checkpoints write it as bytes
  // The earliest tick the next batch may start (kTickMax: nothing waits).
  [[nodiscard]] Tick NextStartPs() const;
  void Arm(ChipActions& act);

  NodeId node_;
  const SkuOptions& sku_;                                 // borrowed: rates and batching limits
  std::vector<std::pair<uint32_t, uint32_t>> slots_;      // (layer, expert) held
  uint64_t weight_bytes_ = 0;                             // one expert's weights
  uint64_t macs_per_job_ = 0;                             // 3 x d_model x width
  uint32_t d_model_ = 0;                                  // elements of a result
  std::deque<Job> waiting_;                               // oldest first
  std::vector<Job> running_;                              // the batch in progress
  Tick free_ps_ = 0;                                      // the chip is busy until this tick
  std::multiset<Tick> checks_;                            // batch checks scheduled
  uint64_t batches_ = 0;                                  // batches run
  ExpertChipStats stats_;
};

}  // namespace moefab
