// An expert chip: many expert slots (one hardwired engine each, possibly from several layers)
// behind an ingress queue and an egress arbiter, with back-pressure.
//
// - Ingress: jobs delivered by the router wait in a FIFO of `ingress_queue_jobs` entries; when
//   it is full the router holds further jobs at the ejection port (they are admitted in
//   arrival order as entries free up), which is the chip's back-pressure into the fabric.
// - Admission: a waiting job enters its slot's pipeline as soon as the slot can start a job
//   (one start every initiation interval) and a result buffer is free (end-to-end credit for
//   the egress); jobs for other slots are not blocked by it (no head-of-line blocking).
// - Slots: each runs the Verilated RTL (RTL fidelity: bits from the RTL, cycles from the
//   pipeline model, checked against the RTL at every completion; the RTL runs behind the
//   timing, in the background or when a result's bytes leave: chips/deferred_rtl_engine.h) or
//   the golden datapath with the pipeline model measured from the RTL at start-up (SAMPLED:
//   every Nth job also in RTL and compared bit for bit; ANALYTIC: never RTL). An idle slot
//   costs nothing.
// - Egress: finished results leave through one port, in completion order, serialised at the
//   port bandwidth; a result buffer is released when its result has left.
// Omits: stalls inside a slot (admission control makes them unnecessary), power states.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "chips/deferred_rtl_engine.h"
#include "chips/expert_engine.h"
#include "runtime/cluster/chip_actions.h"
#include "runtime/cluster/cluster_event.h"
#include "runtime/cluster/rtl_engines.h"
#include "runtime/config/options.h"
#include "runtime/results/rank_report.h"

namespace moefab {

struct ExpertChipStats {
  uint64_t jobs = 0;                // jobs completed
  Tick busy_ps = 0;                 // time with at least one job in a slot
  Tick slot_active_ps = 0;          // sum over jobs of start -> done (pipelines overlap)
  Tick ingress_wait_ps = 0;         // sum over jobs: delivered -> admitted
  Tick blocked_ps = 0;              // sum over jobs: held at the ejection port (ingress full)
  Tick egress_wait_ps = 0;          // sum over jobs: done -> result leaves the chip
  Tick compute_ps = 0;              // sum over jobs: start -> done
  uint64_t rtl_cycles = 0;          // chip cycles of the jobs (latency each)
  uint64_t max_ingress = 0;         // peak ingress occupancy (jobs)
  uint64_t sampled_checks = 0;      // SAMPLED: jobs also run in RTL
  uint64_t sampled_mismatches = 0;  // SAMPLED: of those, outputs or cycles that differed
  std::vector<JobSpan> spans;       // jobs of traced tokens (token id < trace limit)

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(jobs, busy_ps, slot_active_ps, ingress_wait_ps, blocked_ps, egress_wait_ps, compute_ps, rtl_cycles, max_ingress,
       sampled_checks, sampled_mismatches, spans);
  }
};

class ExpertChipModel {
 public:
  /// One slot per (layer, expert) placed on this chip, in `slots` order.
  struct SlotSpec {
    uint32_t layer = 0, expert = 0;
    std::shared_ptr<const chips::ExpertWeights> weights;
  };
  /// `rtl` makes the Verilated engines (borrowed; outlives the chip).
  ExpertChipModel(NodeId node, const SkuOptions& sku, const RunOptions& options, std::vector<SlotSpec> slots,
                  const chips::EngineConfig& engine_config, chips::PipelineModel pipeline, RtlEngines& rtl,
                  bool fault_sampled_rtl = false);
  ~ExpertChipModel();

  void OnDeliver(const Delivery& job, ChipActions& act);    // an expert-job message arrived
  void OnSlotDone(const ChipEvent& e, ChipActions& act);    // a slot's job finished (predicted tick)
  void OnSlotReady(const ChipEvent& e, ChipActions& act);   // a slot can start its next job
  void OnEgressDone(const ChipEvent& e, ChipActions& act);  // a result has left through the egress

  [[nodiscard]] const ExpertChipStats& stats() const { return stats_; }
  [[nodiscard]] uint32_t num_slots() const { return static_cast<uint32_t>(slots_.size()); }
  [[nodiscard]] uint64_t rtl_cycles_simulated() const;
  [[nodiscard]] bool idle() const;
  /// RTL fidelity: runs the RTL of one slot that is behind, at most `budget_cycles` cycles and
  /// not past the clock edge at or after `known_ps` (every job arriving before it is known).
  /// False when no slot is behind.
  bool RunAhead(Tick known_ps, uint64_t budget_cycles);

  /// Checkpoints (ANALYTIC only: a Verilated slot's state is the simulator's): the jobs at
  /// every stage, the slots' pipelines, the egress and the statistics.
  void SaveState(StateWriter& w);
  void LoadState(StateReader& r);

 private:
  struct Job {
    uint64_t id = 0;    // chip-local job number (admission order is not id order)
    uint32_t slot = 0;  // index into slots_
    uint32_t token = 0, layer = 0, expert = 0;
    NodeId home = 0;                                   // where the result goes
    Tick delivered_ps = 0;                             // arrived at the chip (or at the ejection port if blocked)
    Tick queued_ps = 0;                                // entered the ingress queue
    Tick admitted_ps = 0;                              // started in its slot
    Tick done_ps = 0;                                  // last output beat
    uint8_t e = 0;                                     // per-token exponent
    std::shared_ptr<const fabric::Payload> data;       // the message as received: x then e
    [[nodiscard]] std::span<const int8_t> x() const {  // activation bytes (empty: timing only)
      return data ? std::span<const int8_t>(data->data(), data->size() - 1) : std::span<const int8_t>();
    }
    template <class Ar>
    void Archive(Ar& ar) {
      ar(id, slot, token, layer, expert, home, delivered_ps, queued_ps, admitted_ps, done_ps, e, data);
    }
  };
  struct Slot {
    uint32_t layer = 0, expert = 0;
    std::shared_ptr<const chips::ExpertWeights> weights;
    std::unique_ptr<chips::ExpertEngine> engine;   // RTL (deferred) or pipeline model
    chips::DeferredRtlEngine* rtl = nullptr;       // RTL fidelity: `engine`, whose values come later
    std::unique_ptr<chips::ExpertEngine> checker;  // SAMPLED: RTL, created on first use
    uint64_t ready_cycle = 0;                      // earliest cycle the next job may start
    bool wake_pending = false;                     // a kSlotReady event is scheduled
  };

  void TryAdmit(ChipActions& act);
  void Admit(Job job, uint64_t cycle, ChipActions& act);  // enters the slot's pipeline at `cycle`
  void TryEgress(ChipActions& act);
  void UpdateBusy(Tick now);
  [[nodiscard]] uint64_t CycleAt(Tick t) const;  // first clock edge at or after t

  std::unique_ptr<chips::ExpertEngine> MakeRtl(const Slot& slot);
  template <class Ar>
  void ArchiveQueues(Ar& ar) {
    ar(ingress_, blocked_, running_, egress_queue_, leaving_, free_result_buffers_, egress_free_ps_, egress_busy_,
       next_job_id_, jobs_admitted_, in_flight_, next_behind_, busy_since_ps_, stats_);
    for (Slot& s : slots_) ar(s.ready_cycle, s.wake_pending);
  }

  NodeId node_;
  const SkuOptions& sku_;  // borrowed from the run options
  RtlEngines& rtl_;        // borrowed: engine factory of this rank
  Fidelity fidelity_;
  uint32_t sample_every_;  // SAMPLED: N
  uint32_t trace_tokens_;  // jobs of tokens below this id are recorded as spans
  chips::EngineConfig engine_config_;
  chips::PipelineModel pipeline_;  // measured from the RTL at start-up
  std::vector<Slot> slots_;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> slot_of_;           // (layer, expert) -> slot
  std::deque<Job> ingress_;                                             // admitted to the chip, waiting for their slot
  std::deque<Job> blocked_;                                             // held at the ejection port: ingress full
  std::map<uint64_t, Job> running_;                                     // job id -> job, while in a slot
  std::deque<std::pair<uint64_t, std::vector<int16_t>>> egress_queue_;  // finished, waiting
  std::map<uint64_t, Job> leaving_;                                     // job id -> job, while in the egress
  uint32_t free_result_buffers_;    // credits for admission (unlimited if the SKU says 0)
  bool unlimited_results_;          // egress_buffer_results == 0
  bool timing_only_ = false;        // jobs carry no bytes, results are empty
  bool fault_sampled_rtl_ = false;  // tests: SAMPLED checkers hold wrong weights
  Tick egress_free_ps_ = 0;         // the egress port is busy until this tick
  bool egress_busy_ = false;        // a kEgressDone is pending
  uint64_t next_job_id_ = 0;        // chip-local job numbering
  uint64_t jobs_admitted_ = 0;      // for SAMPLED's every-Nth rule
  uint32_t in_flight_ = 0;          // jobs in slots
  size_t next_behind_ = 0;          // RunAhead: the slot to look at first
  Tick busy_since_ps_ = 0;          // when in_flight_ last became > 0
  ExpertChipStats stats_;
};

/// The result message of (token, layer, expert) from the expert chip at `src` to the token's
/// home: d_model int16 values on the wire (its payload, if any, is the caller's).
OutgoingMessage ResultMessage(NodeId src, NodeId home, uint32_t token, uint32_t layer, uint32_t expert,
                              uint32_t d_model);

/// Packing of packet payloads: an expert job is x (D bytes) then e (1 byte); a result is
/// y as D little-endian int16.
std::vector<int8_t> PackJob(std::span<const int8_t> x, uint8_t e);
std::vector<int8_t> PackResult(std::span<const int16_t> y);
std::vector<int16_t> UnpackResult(std::span<const int8_t> bytes);

}  // namespace moefab
