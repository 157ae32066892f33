// An RTL expert slot whose values are computed off the timing path.
//
// Timing comes from the pipeline model (start = max(arrival, previous start + II), done =
// start + L), which the chip tests prove equal to the RTL's; so a job's completion is known
// when it is accepted, and its output values are needed only when they leave the chip. The
// Verilated RTL runs behind: in the background (RunAhead, while a rank waits for the others)
// and on demand (TakeValues), never past the cycles whose inputs are known, so it sees every
// job at the cycle it arrived. Every RTL completion is checked against the model's cycle, so
// the RTL still gives the bits and proves the timing; a difference aborts the run.
//
// Bits and ticks are exactly those of the eager RTL slot (MakeRtlExpertEngine driven job by
// job); only when the RTL work is done moves.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "chips/expert_engine.h"
#include "core/error.h"

namespace moefab::chips {

class DeferredRtlEngine final : public ExpertEngine {
 public:
  /// `rtl` is a fresh RTL engine of the same design point as `pipeline` (its measurement).
  DeferredRtlEngine(std::unique_ptr<ExpertEngine> rtl, PipelineModel pipeline);

  const EngineConfig& config() const override { return rtl_->config(); }
  /// The model's timing: the job is queued for the RTL, which has not run it yet.
  void Submit(std::uint64_t job_id, std::span<const std::int8_t> x, std::uint8_t e,
              std::uint64_t arrival_cycle) override;
  /// Completions by the model's timing, with `y` empty and `values_later` set: TakeValues.
  void AdvanceTo(std::uint64_t cycle, std::vector<CompletedJob>& done) override;
  std::uint64_t now_cycle() const override { return now_; }
  std::uint64_t rtl_cycles_simulated() const override { return rtl_->rtl_cycles_simulated(); }
  // A Verilated engine's state is the simulator's: no checkpoints (ExpertEngine).
  bool SaveState(StateWriter&) override { return false; }
  void LoadState(StateReader&) override { MOEFAB_CHECK(false, "checkpoint of a Verilated engine"); }

  /// Runs the RTL at most `budget_cycles` cycles, never past a cycle whose inputs could still
  /// change: every job arriving before `known_cycle` has been submitted, and no later job is
  /// accepted before the last start + II (so the RTL may run ahead of simulated time by up to
  /// an II). True if it ran any.
  bool RunAhead(std::uint64_t known_cycle, std::uint64_t budget_cycles);
  /// The output of a completed job (AdvanceTo reported it), running the RTL up to its last beat.
  std::vector<std::int16_t> TakeValues(std::uint64_t job_id);
  /// True while the RTL is behind the jobs submitted.
  [[nodiscard]] bool behind() const { return !rtl_jobs_.empty(); }

 private:
  struct Job {
    std::uint64_t id, arrival, done;  // cycles: arrival, and the model's last beat
    std::uint8_t e;
    std::vector<std::int8_t> x;  // kept until the RTL takes it
  };
  void RunRtlTo(std::uint64_t cycle);  // submits what arrived by then, runs, checks, keeps y

  std::unique_ptr<ExpertEngine> rtl_;                          // the Verilated slot, behind the model's time
  PipelineModel pipeline_;                                     // latency and II (cycles), measured from the RTL
  std::deque<Job> rtl_jobs_;                                   // submitted here, not yet completed in RTL
  std::size_t fed_ = 0;                                        // of rtl_jobs_, the first ones already given to the RTL
  std::deque<CompletedJob> timing_;                            // submitted, not yet reported by AdvanceTo
  std::map<std::uint64_t, std::vector<std::int16_t>> values_;  // finished in RTL, not taken
  std::vector<CompletedJob> scratch_;                          // RTL completions of one run
  bool any_started_ = false;                                   // the model's state: a job has been accepted
  std::uint64_t last_start_ = 0;                               // start cycle of the last job
  std::uint64_t last_arrival_ = 0;                             // arrival cycle of the last job
  std::uint64_t now_ = 0;                                      // first cycle not yet run (model)
};

}  // namespace moefab::chips
