#include "runtime/cluster/attention_chip.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "router/combine.h"
#include "runtime/config/attention_work.h"
#include "runtime/cluster/expert_chip.h"

namespace moefab {

AttentionChip::AttentionChip(NodeId node, uint32_t index, uint32_t count, const RunOptions& options,
                             const router::Placement& placement, ModelData& data,
                             std::function<uint32_t(NodeId, NodeId)> hops)
    : node_(node),
      options_(options),
      sku_(options.SkuOf(node)),
      placement_(placement),
      data_(data),
      index_(index),
      count_(count),
      chooser_(options.placement.replica_policy, node, std::move(hops)),
      batcher_(sku_, options.model) {
  for (uint32_t t = index; t < options.workload.num_tokens; t += count) pending_.push_back(t);
}

void AttentionChip::Schedule(EventKind kind, Tick tick, const TokenState& t, ChipActions& act) const {
  ChipEvent e;
  e.token = t.id;
  e.layer = t.layer;
  act.Schedule(node_, kind, tick, e);
}

void AttentionChip::StartClosedLoop(ChipActions& act) {
  // The closed-loop concurrency is split over the attention chips, at least one each.
  const uint32_t c = options_.workload.concurrency / count_ + (index_ < options_.workload.concurrency % count_);
  for (uint32_t k = 0; k < std::max(1u, c) && next_pending_ < pending_.size(); ++k) {
    ChipEvent e;
    e.token = pending_[next_pending_++];
    act.Schedule(node_, EventKind::kTokenStart, 0, e);
  }
}

void AttentionChip::OnTokenStart(const ChipEvent& e, ChipActions& act) {
  TokenState t;
  t.id = e.token;
  t.index_at_home = e.token / count_;
  t.start_ps = act.now();
  const auto& w = options_.workload;
  t.context = w.context_length;
  if (w.context_length_spread > 0) {
    SplitMix64 rng(MixSeed(w.input_seed, 0xC0u, e.token));
    t.context = w.context_length - w.context_length_spread +
                static_cast<uint32_t>(rng.Next() % (2 * uint64_t{w.context_length_spread} + 1));
  }
  if (!options_.timing_only) t.h = data_.InputHidden(e.token);
  auto [it, inserted] = tokens_.emplace(e.token, std::move(t));
  MOEFAB_CHECK(inserted, "token " << e.token << " started twice");
  BeginLayer(it->second, act);
}

void AttentionChip::BeginLayer(TokenState& t, ChipActions& act) {
  if (sku_.batching == AttentionBatching::kContinuous) {
    batcher_.Add({t.id, t.layer, t.context, act.now()});
    ArmBatch(act);
    return;
  }
  const Tick attention = AttentionPs(t);
  const Tick end = OccupyCore(t, attention + sku_.gate_ps, act.now());
  t.breakdown.attention_ps += attention;
  t.breakdown.gate_ps += sku_.gate_ps;
  Schedule(EventKind::kAttentionDone, end, t, act);
}

void AttentionChip::ArmBatch(ChipActions& act) {
  const Tick due = std::max(batcher_.NextStartPs(core_free_ps_), act.now());
  if (due == kTickMax || (!batch_checks_.empty() && *batch_checks_.begin() <= due)) return;
  batch_checks_.insert(due);
  ChipEvent e;
  act.Schedule(node_, EventKind::kAttentionBatch, due, e);
}

void AttentionChip::OnAttentionBatch(ChipActions& act) {
  const Tick now = act.now();
  batch_checks_.erase(batch_checks_.find(now));
  if (batcher_.NextStartPs(core_free_ps_) > now) {  // the core got busy (a combine) or it is not due
    ArmBatch(act);
    return;
  }
  // The batch's attention, then each token's gate in turn: token i is done after i + 1 gates.
  const auto batch = batcher_.Take();
  flops_ += batch.flops;
  Tick end = now + batch.attention_ps;
  for (const auto& r : batch.tokens) {
    TokenState& t = tokens_.at(r.token);
    t.breakdown.core_queue_ps += end - batch.attention_ps - r.ready_ps;  // waiting, and the earlier gates
    t.breakdown.attention_ps += batch.attention_ps;
    t.breakdown.gate_ps += sku_.gate_ps;
    end += sku_.gate_ps;
    Schedule(EventKind::kAttentionDone, end, t, act);
  }
  busy_ps_ += end - now;
  core_free_ps_ = end;
  ++batches_;
  ArmBatch(act);
}

Tick AttentionChip::OccupyCore(TokenState& t, Tick service_ps, Tick now) {
  const Tick begin = std::max(now, core_free_ps_);
  t.breakdown.core_queue_ps += begin - now;
  core_free_ps_ = begin + service_ps;
  busy_ps_ += service_ps;
  return core_free_ps_;
}

void AttentionChip::OnAttentionDone(const ChipEvent& e, ChipActions& act) {
  TokenState& t = tokens_.at(e.token);
  // Dispatch: int8 activations with a per-token power-of-two scale, the router rule (or the
  // routing table), shared experts (see ModelData::Plan), then the capacity limit.
  auto plan = data_.Plan(t.id, t.layer, t.h);
  if (!options_.routing.write_trace.empty()) {
    const auto& sel = plan.routed;  // before Llama 4's weight-on-input and shared experts
    const uint32_t k = options_.model.top_k;
    for (uint32_t i = 0; i < k; ++i) t.routed.push_back(sel.experts[i]);
    for (uint32_t i = 0; i < k; ++i) t.routed.push_back(sel.weights_q15[i]);
  }
  ApplyCapacity(t, plan);
  t.selection = std::move(plan.combine);
  t.outputs.assign(t.selection.experts.size(), {});
  t.received = 0;
  t.phase_start_ps = act.now();
  if (plan.jobs.empty()) {  // every routed job dropped and no shared expert
    StartCombine(t, act);
    return;
  }
  const uint32_t experts = options_.model.experts_per_layer();
  for (auto& j : plan.jobs) {
    OutgoingMessage job;
    job.packet = PacketType::kExpertJob;
    job.src = node_;
    job.dst = chooser_.Choose(t.layer * experts + j.expert, placement_.Replicas(t.layer, j.expert));
    job.token = t.id;
    job.layer = t.layer;
    job.expert = j.expert;
    job.bytes = uint64_t{options_.model.d_model} + 1;                   // x and its exponent
    if (!options_.timing_only) job.payload = PackJob(j.x, j.exponent);  // the bytes the engine sees
    act.Send(std::move(job));
  }
}

void AttentionChip::ApplyCapacity(TokenState& t, ModelData::DispatchPlan& plan) {
  const auto& w = options_.workload;
  if (w.capacity_factor <= 0) return;
  const auto& m = options_.model;
  // Per home chip, per window of W of its tokens, per layer: at most ceil(f * W * k / E) jobs
  // for each routed expert (GShard-style capacity, counted where the tokens are).
  const auto cap = static_cast<uint32_t>(
      std::ceil(w.capacity_factor * w.capacity_window_tokens * m.top_k / static_cast<double>(m.num_experts)));
  auto& used = capacity_used_[{t.index_at_home / w.capacity_window_tokens, t.layer}];
  if (used.empty()) used.assign(m.num_experts, 0);
  std::vector<uint32_t> dropped;
  for (const auto& j : plan.jobs) {
    if (j.expert >= m.num_experts) continue;  // shared experts have no capacity limit
    if (used[j.expert] >= cap) {
      dropped.push_back(j.expert);
      t.dropped.push_back(t.layer * m.num_experts + j.expert);
    } else {
      ++used[j.expert];
    }
  }
  jobs_dropped_ += dropped.size();
  ModelData::Drop(plan, dropped, m.num_experts);
}

void AttentionChip::OnResult(const Delivery& d, ChipActions& act) {
  auto it = tokens_.find(d.token);
  MOEFAB_CHECK(it != tokens_.end(), "result for unknown token " << d.token);
  TokenState& t = it->second;
  MOEFAB_CHECK(d.layer == t.layer, "result of layer " << d.layer << " for token " << t.id << " at layer " << t.layer);
  const auto pos = std::find(t.selection.experts.begin(), t.selection.experts.end(), d.expert);
  MOEFAB_CHECK(pos != t.selection.experts.end(), "result from an expert not selected");
  chooser_.Completed(d.src);
  if (!options_.timing_only) {
    auto& slot = t.outputs[static_cast<size_t>(pos - t.selection.experts.begin())];
    MOEFAB_CHECK(slot.empty(), "duplicate result from expert " << d.expert);
    MOEFAB_CHECK(d.data != nullptr, "result without its bytes");
    slot = UnpackResult(*d.data);
    MOEFAB_CHECK(slot.size() == options_.model.d_model, "result of " << slot.size() << " elements");
  }
  if (++t.received < t.selection.experts.size()) return;
  StartCombine(t, act);
}

void AttentionChip::StartCombine(TokenState& t, ChipActions& act) {
  t.breakdown.expert_phase_ps += act.now() - t.phase_start_ps;
  const Tick end = OccupyCore(t, sku_.combine_ps, act.now());
  t.breakdown.combine_ps += sku_.combine_ps;
  Schedule(EventKind::kCombineDone, end, t, act);
}

Tick AttentionChip::AttentionPs(const TokenState& t) {
  const auto& m = options_.model;
  // Decode of one token at one layer: Q, K, V, O projections, then Q.K and A.V over the
  // context; the KV cache is read once from memory. Dense-FFN layers (before the first MoE
  // layer) run here too: 3 matrices of d_model x width.
  // FIFO takes the layer's weights as resident: only the KV cache is read per token.
  const auto w = AttentionWorkOf<uint64_t>(m, t.context, t.layer == 0);
  flops_ += w.flops;
  if (sku_.compute_tflops <= 0 && sku_.memory_gbytes_per_s <= 0)
    return sku_.attention_ps * (t.layer == 0 ? 1 + m.num_dense_layers : 1);
  return static_cast<Tick>(
      std::llround(AttentionSeconds(sku_, static_cast<double>(w.flops), static_cast<double>(w.kv_bytes)) * 1e12));
}

void AttentionChip::OnCombineDone(const ChipEvent& e, ChipActions& act) {
  auto it = tokens_.find(e.token);
  TokenState& t = it->second;
  if (!options_.timing_only) {
    std::vector<std::span<const int16_t>> views(t.outputs.begin(), t.outputs.end());
    router::CombineResidual(t.h, t.selection, views);
  }
  if (++t.layer < options_.model.num_layers) {
    BeginLayer(t, act);
    return;
  }
  finished_.push_back(TokenRecord{t.id, node_, t.start_ps, act.now(), t.breakdown, std::move(t.h), std::move(t.dropped),
                                  std::move(t.routed)});
  tokens_.erase(it);
  if (options_.workload.arrival == Arrival::kClosedLoop && next_pending_ < pending_.size()) {
    ChipEvent start;
    start.token = pending_[next_pending_++];
    act.Schedule(node_, EventKind::kTokenStart, act.now(), start);
  }
}

}  // namespace moefab
