// Engine::Run: the protocol of global windows, defined apart from the contract in engine.h,
// which includes this file at its end (as engine_async.h, the asynchronous protocol).
#pragma once

#include "runtime/pdes/engine.h"

namespace moefab::pdes {

template <class M, class... P>
EngineStats Engine<M, PayloadList<P...>>::Run(M& model, const ProgressOptions& progress) {
  using Clock = std::chrono::steady_clock;
  const auto wall_start = Clock::now();
  detail::CycleTally tally;
  const bool parallel = transport_.size() > 1;
  auto last_report = wall_start;
  uint32_t windows_to_report = 0;
  const auto report = [&](Tick sim, uint64_t count) {
    if (progress.interval_seconds <= 0 || !progress.report) return;
    if (parallel && ++windows_to_report < kWindowsPerClockCheck) return;
    windows_to_report = 0;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_report).count() < progress.interval_seconds) return;
    last_report = now;
    progress.report(sim, count, std::chrono::duration<double>(now - wall_start).count());
  };
  // The first window's start needs one agreement; after that every exchange carries each
  // rank's summary, so one collective per window.
  Tick start = transport_.AllreduceMin(TopTick());
  next_checkpoint_ = checkpoint_every_ps_ > 0 && start != kTickMax
                         ? Add(start - start % checkpoint_every_ps_, checkpoint_every_ps_)
                         : kTickMax;
  // From the last exchange: the earliest tick any other rank may send this one an event at
  // (absolute; at first one lookahead from the start) and the models' bound counted from the
  // window's start.
  Tick horizon = Add(start, lookahead_ps_), horizon_after = kTickMax;
  // A run resumed from a checkpoint may hold packets that crossed ranks before it, whose
  // replies (credits) come faster than the lookahead: the models' bounds, as after an exchange.
  all_done_ = start;  // everything before the start is handled everywhere
  if constexpr (requires { model.CrossRankHorizon(); }) {
    if (parallel && start != kTickMax) {
      const Horizon h = model.CrossRankHorizon();
      horizon = std::min(horizon, transport_.AllreduceMin(h.in_absolute));
      horizon_after = transport_.AllreduceMin(h.out_after_start);
    }
  }
  all_done_ = std::min({horizon, Add(start, horizon_after), next_checkpoint_});
  uint32_t stalled = 0;  // windows in a row in which the earliest event may not run
  std::vector<std::span<const std::byte>> incoming;
  while (start != kTickMax) {
    // A rank's window may be empty (another rank's reply could still come at the start; the
    // next exchange tells it that reply's packet was handled), never for long. Every bound
    // holds for all later windows too, so a window never ends before the last one did (the
    // bounds of the models are coarse: min over all ranks and destinations). Receive checks
    // every incoming event against this rank's past.
    const Tick end = std::min({Add(start, horizon_after), horizon, next_checkpoint_});
    stalled = all_done_ > start ? 0 : stalled + 1;
    MOEFAB_CHECK(stalled < 64, "windows [" << start << ", " << all_done_ << ") stay empty");
    window_end_ = std::max(window_end_, end);
    ++stats_.windows;
    const uint64_t work_start = detail::Cycles();
    uint32_t until_check = kEventsPerClockCheck;
    while (TopTick() < window_end_) {
      HandleTop(model);
      // One rank runs the whole run as one window: look at the clock now and then.
      if (!parallel && --until_check == 0) {
        until_check = kEventsPerClockCheck;
        report(now_, ProgressCountOf(model));
      }
    }
    const uint64_t work_end = detail::Cycles();
    tally.work += work_end - work_start;
    if (!parallel) {
      start = TopTick();
      horizon = all_done_ = Add(start, lookahead_ps_);
      MaybeCheckpoint(start);
      continue;
    }
    WindowSummary mine;
    mine.next = std::min(TopTick(), outbox_min_);
    mine.horizon = SendBound();
    if constexpr (requires { model.CrossRankHorizon(); }) {
      const Horizon h = model.CrossRankHorizon();
      mine.receive_bound = h.in_absolute;
      mine.horizon_after = h.out_after_start;
    }
    mine.count = ProgressCountOf(model);
    transport_.StartWindow(outbox_, mine);
    // Events that cannot be affected yet, then deferred work of the model, while the other
    // ranks finish their windows.
    uint64_t window_work = work_end - work_start;
    if (!early_.empty()) {
      const uint64_t early_start = detail::Cycles();
      HandleEarly(model);
      const uint64_t early = detail::Cycles() - early_start;
      window_work += early;
      tally.work += early;
    }
    window_work_.Add(window_work);
    uint64_t wait_start = detail::Cycles();
    if constexpr (requires { model.Background(); }) {
      while (!transport_.WindowReady() && model.Background()) {
      }
      const uint64_t t = detail::Cycles();
      tally.background += t - wait_start;
      wait_start = t;
    }
    const WindowSummary all = transport_.FinishWindow(incoming);
    tally.wait += detail::Cycles() - wait_start;
    // What this rank sent may come back one lookahead later (the others' summaries were made
    // before they received it; faster replies are the model's receive bound), and what it
    // sends in the next window (at or after its own bound) one reply delay later.
    const Tick reply = std::min(reply_ps_, lookahead_ps_);
    const Tick bounce = Add(outbox_min_, lookahead_ps_);
    ClearOutboxes();
    for (const auto& buf : incoming) Receive(buf, window_end_);
    start = all.next;
    horizon = std::min({transport_.others().horizon, bounce, mine.receive_bound, Add(mine.horizon, reply)});
    horizon_after = std::min(transport_.others().horizon_after, Add(mine.horizon_after, reply));
    report(start == kTickMax ? now_ : start, all.count);
    MaybeCheckpoint(start);
    // Every rank's next window ends at the next checkpoint at the latest: the models' bounds
    // (which packets a peer has handled) must not count on more.
    all_done_ = std::min({Add(start, all.horizon_after), all.horizon, all.receive_bound, next_checkpoint_});
  }
  stats_.wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
  stats_.work_seconds = tally.Seconds(tally.work, stats_.wall_seconds);
  stats_.background_seconds = tally.Seconds(tally.background, stats_.wall_seconds);
  stats_.wait_seconds = tally.Seconds(tally.wait, stats_.wall_seconds);
  if (parallel) {
    const WindowWorkRecord::CriticalPath path = window_work_.Reduce(transport_);
    stats_.critical_path_seconds = tally.Seconds(static_cast<uint64_t>(path.critical_cycles), stats_.wall_seconds);
    stats_.window_work_seconds = tally.Seconds(static_cast<uint64_t>(path.total_cycles), stats_.wall_seconds);
    stats_.windows_per_record = path.windows_per_record;
  }
  return stats_;
}

}  // namespace moefab::pdes
