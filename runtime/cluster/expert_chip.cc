#include "runtime/cluster/expert_chip.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/state_archive.h"
#include "fabric/serialization.h"

namespace moefab {

OutgoingMessage ResultMessage(NodeId src, NodeId home, uint32_t token, uint32_t layer, uint32_t expert,
                              uint32_t d_model) {
  OutgoingMessage m;
  m.packet = PacketType::kExpertResult;
  m.src = src;
  m.dst = home;
  m.token = token;
  m.layer = layer;
  m.expert = expert;
  m.bytes = uint64_t{2} * d_model;  // y as int16
  return m;
}

std::vector<int8_t> PackJob(std::span<const int8_t> x, uint8_t e) {
  std::vector<int8_t> out(x.begin(), x.end());
  out.push_back(static_cast<int8_t>(e));
  return out;
}

std::vector<int8_t> PackResult(std::span<const int16_t> y) {
  std::vector<int8_t> out(y.size() * 2);
  for (size_t j = 0; j < y.size(); ++j) {
    const auto v = static_cast<uint16_t>(y[j]);
    out[2 * j] = static_cast<int8_t>(v & 0xff);
    out[2 * j + 1] = static_cast<int8_t>(v >> 8);
  }
  return out;
}

std::vector<int16_t> UnpackResult(std::span<const int8_t> bytes) {
  MOEFAB_CHECK(bytes.size() % 2 == 0, "result payload of odd size " << bytes.size());
  std::vector<int16_t> y(bytes.size() / 2);
  for (size_t j = 0; j < y.size(); ++j) {
    const auto lo = static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * j]));
    const auto hi = static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * j + 1]));
    y[j] = static_cast<int16_t>(static_cast<uint16_t>(lo | (hi << 8)));
  }
  return y;
}

ExpertChipModel::ExpertChipModel(NodeId node, const SkuOptions& sku, const RunOptions& options,
                                 std::vector<SlotSpec> slots, const chips::EngineConfig& engine_config,
                                 chips::PipelineModel pipeline, RtlEngines& rtl, bool fault_sampled_rtl)
    : node_(node),
      sku_(sku),
      rtl_(rtl),
      fidelity_(options.fidelity),
      sample_every_(options.sample_every),
      trace_tokens_(options.report.trace ? options.report.trace_max_tokens : 0),
      engine_config_(engine_config),
      pipeline_(pipeline),
      free_result_buffers_(sku.egress_buffer_results),
      unlimited_results_(sku.egress_buffer_results == 0),
      timing_only_(options.timing_only),
      fault_sampled_rtl_(fault_sampled_rtl) {
  for (auto& spec : slots) {
    Slot s;
    s.layer = spec.layer;
    s.expert = spec.expert;
    s.weights = std::move(spec.weights);
    if (options.timing_only) {
      s.engine = chips::MakeTimingExpertEngine(engine_config_, pipeline_);
    } else if (fidelity_ == Fidelity::kRtl) {
      auto deferred = std::make_unique<chips::DeferredRtlEngine>(MakeRtl(s), pipeline_);
      s.rtl = deferred.get();
      s.engine = std::move(deferred);
    } else {
      s.engine = chips::MakeModelExpertEngine(s.weights, engine_config_, pipeline_);
    }
    slot_of_[{s.layer, s.expert}] = static_cast<uint32_t>(slots_.size());
    slots_.push_back(std::move(s));
  }
}

ExpertChipModel::~ExpertChipModel() = default;

std::unique_ptr<chips::ExpertEngine> ExpertChipModel::MakeRtl(const Slot& slot) {
  return rtl_.Make(slot.weights, engine_config_,
                   "node " + std::to_string(node_) + " layer " + std::to_string(slot.layer) + " expert " +
                       std::to_string(slot.expert));
}

uint64_t ExpertChipModel::CycleAt(Tick t) const {
  const Tick p = sku_.clock.period_ps;
  return (t + p - 1) / p;
}

uint64_t ExpertChipModel::rtl_cycles_simulated() const {
  uint64_t c = 0;
  for (const auto& s : slots_) {
    c += s.engine->rtl_cycles_simulated();
    if (s.checker) c += s.checker->rtl_cycles_simulated();
  }
  return c;
}

bool ExpertChipModel::RunAhead(Tick known_ps, uint64_t budget_cycles) {
  const uint64_t known_cycle = CycleAt(known_ps);
  for (size_t k = 0; k < slots_.size(); ++k) {
    Slot& slot = slots_[(next_behind_ + k) % slots_.size()];
    if (!slot.rtl || !slot.rtl->behind()) continue;
    if (!slot.rtl->RunAhead(known_cycle, budget_cycles)) continue;
    next_behind_ = (next_behind_ + k + 1) % slots_.size();
    return true;
  }
  return false;
}

bool ExpertChipModel::idle() const {
  return ingress_.empty() && blocked_.empty() && running_.empty() && leaving_.empty() && egress_queue_.empty();
}

void ExpertChipModel::UpdateBusy(Tick now) {
  if (in_flight_ > 0) stats_.busy_ps += now - busy_since_ps_;
  busy_since_ps_ = now;
}

void ExpertChipModel::OnDeliver(const Delivery& e, ChipActions& act) {
  auto it = slot_of_.find({e.layer, e.expert});
  MOEFAB_CHECK(it != slot_of_.end(),
               "node " << node_ << " holds no slot for layer " << e.layer << " expert " << e.expert);
  MOEFAB_CHECK((e.data && !e.data->empty()) || timing_only_, "empty expert job");
  Job job;
  job.id = next_job_id_++;
  job.slot = it->second;
  job.token = e.token;
  job.layer = e.layer;
  job.expert = e.expert;
  job.home = e.src;
  job.delivered_ps = act.now();
  if (!timing_only_) {
    job.e = static_cast<uint8_t>(e.data->back());
    job.data = e.data;
  }
  MOEFAB_CHECK(timing_only_ || job.x().size() == engine_config_.shape.d_model,
               "expert job of " << job.x().size() << " bytes for d_model " << engine_config_.shape.d_model);
  if (sku_.ingress_queue_jobs == 0 || ingress_.size() < sku_.ingress_queue_jobs) {
    job.queued_ps = act.now();
    ingress_.push_back(std::move(job));
    stats_.max_ingress = std::max<uint64_t>(stats_.max_ingress, ingress_.size());
  } else {
    blocked_.push_back(std::move(job));
  }
  TryAdmit(act);
}

void ExpertChipModel::TryAdmit(ChipActions& act) {
  const Tick now = act.now();
  const uint64_t cycle = CycleAt(now);
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto it = ingress_.begin(); it != ingress_.end();) {
      if (!unlimited_results_ && free_result_buffers_ == 0) break;
      Slot& slot = slots_[it->slot];
      // The slot's engine may already have evaluated this cycle (a completion at this very
      // edge): the job then enters the pipeline at the next edge.
      const uint64_t start = std::max(cycle, slot.engine->now_cycle());
      if (start >= slot.ready_cycle) {
        Job job = std::move(*it);
        it = ingress_.erase(it);
        Admit(std::move(job), start, act);
        progress = true;
        continue;
      }
      if (!slot.wake_pending) {
        slot.wake_pending = true;
        ChipEvent wake;
        wake.layer = slot.layer;
        wake.expert = slot.expert;
        act.Schedule(node_, EventKind::kSlotReady, slot.ready_cycle * sku_.clock.period_ps, wake);
      }
      ++it;
    }
    // Entries freed: the router hands over held jobs in their arrival order.
    while (!blocked_.empty() && (sku_.ingress_queue_jobs == 0 || ingress_.size() < sku_.ingress_queue_jobs)) {
      Job job = std::move(blocked_.front());
      blocked_.pop_front();
      stats_.blocked_ps += now - job.delivered_ps;
      job.queued_ps = now;
      ingress_.push_back(std::move(job));
      stats_.max_ingress = std::max<uint64_t>(stats_.max_ingress, ingress_.size());
      progress = true;
    }
  }
}

void ExpertChipModel::Admit(Job job, uint64_t cycle, ChipActions& act) {
  const Tick now = act.now();
  Slot& slot = slots_[job.slot];
  if (!unlimited_results_) --free_result_buffers_;
  UpdateBusy(now);
  ++in_flight_;
  job.admitted_ps = now;
  stats_.ingress_wait_ps += now - job.queued_ps;
  slot.engine->Submit(job.id, job.x(), job.e, cycle);
  slot.ready_cycle = cycle + pipeline_.initiation_interval.value;
  const uint64_t done_cycle = cycle + pipeline_.latency.value;
  ChipEvent done;
  done.layer = job.layer;
  done.expert = job.expert;
  done.job = job.id;
  act.Schedule(node_, EventKind::kSlotDone, done_cycle * sku_.clock.period_ps, done);
  ++jobs_admitted_;
  running_.emplace(job.id, std::move(job));
}

void ExpertChipModel::OnSlotReady(const ChipEvent& e, ChipActions& act) {
  slots_[slot_of_.at({e.layer, e.expert})].wake_pending = false;
  TryAdmit(act);
}

void ExpertChipModel::OnSlotDone(const ChipEvent& e, ChipActions& act) {
  const Tick now = act.now();
  MOEFAB_CHECK(now % sku_.clock.period_ps == 0, "slot completion off the clock edge");
  const uint64_t cycle = now / sku_.clock.period_ps;
  auto it = running_.find(e.job);
  MOEFAB_CHECK(it != running_.end(), "completion of unknown job " << e.job);
  Job& job = it->second;
  Slot& slot = slots_[job.slot];
  std::vector<chips::CompletedJob> done;
  slot.engine->AdvanceTo(cycle, done);
  MOEFAB_CHECK(done.size() == 1 && done[0].job_id == job.id && done[0].done_cycle == cycle,
               "node " << node_ << " slot (layer " << slot.layer << ", expert " << slot.expert
                       << "): the engine completed " << done.size() << " job(s) at cycle " << cycle
                       << (done.empty() ? std::string()
                                        : ", first id " + std::to_string(done[0].job_id) + " done at " +
                                              std::to_string(done[0].done_cycle))
                       << "; the pipeline model predicted job " << job.id << " exactly then");
  std::vector<int16_t> y = std::move(done[0].y);
  const uint64_t index = stats_.jobs;  // completion order: the every-Nth rule of SAMPLED
  if (fidelity_ == Fidelity::kSampled && sample_every_ > 0 && index % sample_every_ == 0) {
    if (!slot.checker) {
      if (fault_sampled_rtl_) {
        // Fault injection (tests): the checker's silicon has row 0 of `down` negated.
        auto bad = std::make_shared<chips::ExpertWeights>(*slot.weights);
        for (uint32_t c = 0; c < bad->down.cols; ++c)
          bad->down.q[c] = static_cast<int8_t>(bad->down.q[c] == 0 ? 1 : -bad->down.q[c]);
        slot.checker = rtl_.Make(bad, engine_config_, "faulty checker");
      } else {
        slot.checker = MakeRtl(slot);
      }
    }
    const uint64_t start = slot.checker->now_cycle();
    slot.checker->Submit(job.id, job.x(), job.e, start);
    std::vector<chips::CompletedJob> check;
    slot.checker->AdvanceTo(start + pipeline_.latency.value, check);
    ++stats_.sampled_checks;
    if (check.size() != 1 || check[0].y != y || check[0].done_cycle - check[0].start_cycle != pipeline_.latency.value)
      ++stats_.sampled_mismatches;
  }
  UpdateBusy(now);
  --in_flight_;
  ++stats_.jobs;
  job.done_ps = now;
  if (job.token < trace_tokens_)
    stats_.spans.push_back(JobSpan{node_, job.slot, job.token, job.layer, job.expert,
                                   CycleAt(job.admitted_ps) * sku_.clock.period_ps, now});
  stats_.compute_ps += now - job.admitted_ps;
  stats_.slot_active_ps += now - job.admitted_ps;
  stats_.rtl_cycles += pipeline_.latency.value;
  egress_queue_.emplace_back(job.id, std::move(y));
  leaving_.emplace(job.id, std::move(job));
  running_.erase(it);
  TryEgress(act);
}

void ExpertChipModel::TryEgress(ChipActions& act) {
  if (egress_busy_ || egress_queue_.empty()) return;
  const Tick now = act.now();
  const uint64_t id = egress_queue_.front().first;
  const uint64_t bytes = uint64_t{2} * engine_config_.shape.d_model;  // int16 per element
  const Tick start = std::max(now, egress_free_ps_);
  egress_free_ps_ = start + fabric::SerializationPs(bytes, sku_.egress_bandwidth_mbytes_per_s);
  egress_busy_ = true;
  ChipEvent done;
  done.job = id;
  act.Schedule(node_, EventKind::kEgressDone, egress_free_ps_, done);
}

void ExpertChipModel::OnEgressDone(const ChipEvent& e, ChipActions& act) {
  MOEFAB_CHECK(!egress_queue_.empty() && egress_queue_.front().first == e.job, "egress order broken at job " << e.job);
  auto it = leaving_.find(e.job);
  MOEFAB_CHECK(it != leaving_.end(), "egress of unknown job " << e.job);
  const Job& job = it->second;
  stats_.egress_wait_ps += act.now() - job.done_ps;
  OutgoingMessage result = ResultMessage(node_, job.home, job.token, job.layer, job.expert, engine_config_.shape.d_model);
  // RTL fidelity: the result's bytes are needed now (the RTL may still be behind).
  if (const Slot& slot = slots_[job.slot]; slot.rtl) egress_queue_.front().second = slot.rtl->TakeValues(e.job);
  result.payload = PackResult(egress_queue_.front().second);  // empty when timing-only
  egress_queue_.pop_front();
  leaving_.erase(it);
  egress_busy_ = false;
  if (!unlimited_results_) ++free_result_buffers_;
  act.Send(std::move(result));
  TryEgress(act);
  TryAdmit(act);
}

}  // namespace moefab

namespace moefab {

void ExpertChipModel::SaveState(StateWriter& w) {
  ArchiveQueues(w);
  for (size_t i = 0; i < slots_.size(); ++i)
    MOEFAB_CHECK(slots_[i].engine->SaveState(w), "checkpoint of expert chip " << node_ << ": slot " << i
                                                                               << " runs RTL (refused at load)");
}

void ExpertChipModel::LoadState(StateReader& r) {
  ArchiveQueues(r);
  for (Slot& s : slots_) s.engine->LoadState(r);
}

}  // namespace moefab
