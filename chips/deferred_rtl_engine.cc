#include "chips/deferred_rtl_engine.h"

#include <algorithm>

#include "core/error.h"

namespace moefab::chips {

DeferredRtlEngine::DeferredRtlEngine(std::unique_ptr<ExpertEngine> rtl, PipelineModel pipeline)
    : rtl_(std::move(rtl)), pipeline_(pipeline) {
  MOEFAB_CHECK(rtl_ != nullptr && pipeline_.latency.value > 0 && pipeline_.initiation_interval.value > 0,
               "DeferredRtlEngine needs an RTL engine and a pipeline model");
}

void DeferredRtlEngine::Submit(std::uint64_t job_id, std::span<const std::int8_t> x, std::uint8_t e,
                               std::uint64_t arrival_cycle) {
  MOEFAB_CHECK(arrival_cycle >= now_ && arrival_cycle >= last_arrival_,
               "DeferredRtlEngine: job " << job_id << " arrives at " << arrival_cycle << ", before now=" << now_
                                         << " or the previous arrival " << last_arrival_);
  last_arrival_ = arrival_cycle;
  const std::uint64_t start = AdmitJob(pipeline_, arrival_cycle, any_started_, last_start_);
  const std::uint64_t done = start + pipeline_.latency.value;
  rtl_jobs_.push_back(Job{job_id, arrival_cycle, done, e, {x.begin(), x.end()}});
  timing_.push_back(CompletedJob{job_id, start, done, {}});
}

void DeferredRtlEngine::AdvanceTo(std::uint64_t cycle, std::vector<CompletedJob>& done) {
  while (!timing_.empty() && timing_.front().done_cycle <= cycle) {
    done.push_back(std::move(timing_.front()));
    timing_.pop_front();
  }
  now_ = std::max(now_, cycle + 1);
}

void DeferredRtlEngine::RunRtlTo(std::uint64_t cycle) {
  // Every job that arrives by `cycle` goes in first, at its own arrival cycle.
  while (fed_ < rtl_jobs_.size() && rtl_jobs_[fed_].arrival <= cycle) {
    Job& j = rtl_jobs_[fed_++];
    // The RTL may already be past the arrival (RunAhead), never past the acceptance: offered
    // from its cycle, the job is taken at the same edge (the slot was not ready before).
    rtl_->Submit(j.id, j.x, j.e, std::max(j.arrival, rtl_->now_cycle()));
    j.x = {};
  }
  scratch_.clear();
  rtl_->AdvanceTo(cycle, scratch_);
  for (auto& c : scratch_) {
    MOEFAB_CHECK(!rtl_jobs_.empty() && rtl_jobs_.front().id == c.job_id && rtl_jobs_.front().done == c.done_cycle,
                 "RTL " << rtl_->config().ToString() << ": job " << c.job_id << " finished at cycle " << c.done_cycle
                        << "; the pipeline model predicted "
                        << (rtl_jobs_.empty() ? std::string("no job")
                                              : "job " + std::to_string(rtl_jobs_.front().id) + " at " +
                                                    std::to_string(rtl_jobs_.front().done)));
    values_.emplace(c.job_id, std::move(c.y));
    rtl_jobs_.pop_front();
    --fed_;
  }
}

bool DeferredRtlEngine::RunAhead(std::uint64_t known_cycle, std::uint64_t budget_cycles) {
  if (rtl_jobs_.empty()) return false;
  const std::uint64_t from = rtl_->now_cycle();
  // Its inputs are all known up to the earliest cycle a job not yet submitted could be
  // accepted: it arrives at known_cycle or later, and the slot takes no job before the last
  // start + II. No further than that, nor than the last job's end.
  const std::uint64_t next_accept = std::max(known_cycle, last_start_ + pipeline_.initiation_interval.value);
  if (next_accept == 0) return false;
  const std::uint64_t to = std::min({next_accept - 1, from + budget_cycles - 1, rtl_jobs_.back().done});
  if (to < from) return false;
  RunRtlTo(to);
  return true;
}

std::vector<std::int16_t> DeferredRtlEngine::TakeValues(std::uint64_t job_id) {
  auto it = values_.find(job_id);
  if (it == values_.end()) {
    auto job = std::find_if(rtl_jobs_.begin(), rtl_jobs_.end(), [&](const Job& j) { return j.id == job_id; });
    MOEFAB_CHECK(job != rtl_jobs_.end(), "DeferredRtlEngine: values of unknown job " << job_id);
    MOEFAB_CHECK(job->done < now_, "DeferredRtlEngine: values of job " << job_id << " asked before its end");
    RunRtlTo(job->done);
    it = values_.find(job_id);
    MOEFAB_CHECK(it != values_.end(), "DeferredRtlEngine: job " << job_id << " did not finish in RTL");
  }
  std::vector<std::int16_t> y = std::move(it->second);
  values_.erase(it);
  return y;
}

}  // namespace moefab::chips
