// An attention chip: the home of its tokens. One core runs each token's attention
// (timing model), the dispatch quantisation and the gate (functional: int8 activations with a
// per-token exponent, the model's router rule, or the run's routing table), sends one job per
// selected expert to a replica, and when every result is back runs the combine (functional:
// fixed-point weighted sum of the int16 expert outputs + residual), layer after layer. Holds
// its tokens' int16 hidden states.
//
// Attention timing (runtime/config/attention_work.h): FIFO, one token at a time, a fixed time
// per token per layer or from its FLOPs and KV bytes at the chip's TFLOP/s and GB/s (dense
// layers before the first MoE layer too; weights resident); or CONTINUOUS decode batches of
// one layer (attention_batcher.h: the layer's weights read once per batch). Gate and combine
// run per token on the same core, combines in arrival order between batches. Capacity
// (DROP): per window of W of its tokens and per layer at most ceil(f * W * k / E) jobs for
// each routed expert, counted at the home.
// Omits: KV-cache growth within a decode sequence, prefill, whole decode steps as one batch.
#pragma once

#include <map>
#include <set>
#include <memory>
#include <vector>

#include "core/types.h"
#include "router/placement.h"
#include "router/replica_choice.h"
#include "router/topk.h"
#include "runtime/cluster/attention_batcher.h"
#include "runtime/cluster/chip_actions.h"
#include "runtime/config/options.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/rank_report.h"

namespace moefab {

class AttentionChip {
 public:
  /// `index` is the chip's position among the attention chips (of `count`); token t is homed
  /// on the (t mod count)-th. `hops` measures distances for replica choice; `data` (borrowed,
  /// outlives the chip) holds the model's weights, inputs and routing.
  AttentionChip(NodeId node, uint32_t index, uint32_t count, const RunOptions& options,
                const router::Placement& placement, ModelData& data, std::function<uint32_t(NodeId, NodeId)> hops);

  /// Closed loop: the chip's share of the concurrency starts at tick 0.
  void StartClosedLoop(ChipActions& act);
  void OnTokenStart(const ChipEvent& e, ChipActions& act);
  void OnAttentionDone(const ChipEvent& e, ChipActions& act);
  void OnCombineDone(const ChipEvent& e, ChipActions& act);
  /// CONTINUOUS: a batch may be due (scheduled by ArmBatch).
  void OnAttentionBatch(ChipActions& act);
  /// An expert's result for one of this chip's tokens arrived.
  void OnResult(const Delivery& d, ChipActions& act);

  [[nodiscard]] NodeId node() const { return node_; }
  [[nodiscard]] Tick busy_ps() const { return busy_ps_; }
  [[nodiscard]] uint64_t flops() const { return flops_; }
  [[nodiscard]] uint64_t jobs_dropped() const { return jobs_dropped_; }
  [[nodiscard]] uint64_t batches() const { return batches_; }
  [[nodiscard]] uint64_t tokens_done() const { return finished_.size(); }
  [[nodiscard]] const std::vector<TokenRecord>& finished() const { return finished_; }
  [[nodiscard]] bool idle() const { return tokens_.empty(); }

  /// Checkpoints (core/state_archive.h): its tokens in flight and finished, the core, the
  /// replica and capacity bookkeeping, the tokens waiting for a batch.
  template <class Ar>
  void Archive(Ar& ar) {
    ar(core_free_ps_, busy_ps_, pending_, next_pending_, tokens_, chooser_, capacity_used_, batcher_, batch_checks_,
       batches_, flops_, jobs_dropped_, finished_);
  }

 private:
  struct TokenState {
    uint32_t id = 0;                            // token id
    uint32_t index_at_home = 0;                 // position among this chip's tokens (capacity windows)
    uint32_t context = 0;                       // context length of this decode step (attention timing)
    Tick start_ps = 0;                          // entered its home chip (arrival)
    uint32_t layer = 0;                         // current MoE layer
    std::vector<int16_t> h;                     // hidden state (int16 at the residual scale)
    router::Selection selection;                // experts of the current layer
    std::vector<std::vector<int16_t>> outputs;  // per selected expert: its output vector
    uint32_t received = 0;                      // outputs received for the current layer
    Tick phase_start_ps = 0;                    // tick the current phase began (ps)
    TokenBreakdown breakdown;                   // where its time went
    std::vector<uint32_t> dropped;              // capacity overflow: layer * E + expert
    std::vector<uint32_t> routed;               // write_trace: per layer k experts, k weights

    template <class Ar>
    void Archive(Ar& ar) {
      ar(id, index_at_home, context, start_ps, layer, h, selection, outputs, received, phase_start_ps, breakdown,
         dropped, routed);
    }
  };

  // Attention (+ dense layers before the first MoE layer) time of a token on this chip.
  Tick AttentionPs(const TokenState& t);
  // Capacity decisions of one layer's plan (DROP policy).
  void ApplyCapacity(TokenState& t, ModelData::DispatchPlan& plan);
  // All of a layer's jobs are back (or none was sent): combine on the core.
  void StartCombine(TokenState& t, ChipActions& act);
  // Occupies the core for `service_ps` from now (FIFO); returns the end.
  Tick OccupyCore(TokenState& t, Tick service_ps, Tick now);
  void BeginLayer(TokenState& t, ChipActions& act);
  // CONTINUOUS: schedules a batch check when the next batch is due, unless one comes earlier.
  void ArmBatch(ChipActions& act);
  void Schedule(EventKind kind, Tick tick, const TokenState& t, ChipActions& act) const;

  NodeId node_;                            // torus node
  const RunOptions& options_;              // borrowed
  const SkuOptions& sku_;                  // borrowed from options_
  const router::Placement& placement_;     // borrowed: where each expert's replicas are
  ModelData& data_;                        // borrowed
  uint32_t index_;                         // position among the attention chips
  uint32_t count_;                         // attention chips in the cluster
  Tick core_free_ps_ = 0;                  // the core is busy until this tick
  Tick busy_ps_ = 0;                       // total core service time
  std::vector<uint32_t> pending_;          // tokens homed here, in start order
  size_t next_pending_ = 0;                // index of the next token to start (closed loop)
  std::map<uint32_t, TokenState> tokens_;  // in flight, by id
  router::ReplicaChooser chooser_;         // which replica each job goes to
  // Capacity: jobs sent per (window, layer) and expert, from this home.
  std::map<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>> capacity_used_;
  AttentionBatcher batcher_;            // CONTINUOUS: tokens waiting for a batch
  std::multiset<Tick> batch_checks_;   // CONTINUOUS: ticks of the batch checks scheduled
  uint64_t batches_ = 0;               // CONTINUOUS: batches run
  uint64_t flops_ = 0;                 // attention and dense-layer FLOPs run (energy)
  uint64_t jobs_dropped_ = 0;          // capacity overflow (DROP)
  std::vector<TokenRecord> finished_;  // tokens finished here
};

}  // namespace moefab
