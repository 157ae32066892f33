#include "runtime/engine.h"

#include <chrono>

#include "runtime/core/error.h"

namespace moefab {

Engine::Engine(Transport& transport, std::vector<RankId> owner, Tick lookahead_ps,
               std::shared_ptr<spdlog::logger> log)
    : transport_(transport),
      owner_(std::move(owner)),
      lookahead_ps_(lookahead_ps),
      log_(std::move(log)),
      next_seq_(owner_.size(), 0),
      outbox_(transport.size()) {
  MOEFAB_CHECK(lookahead_ps_ > 0, "lookahead must be positive");
}

void Engine::Schedule(Event e) {
  MOEFAB_CHECK(e.origin < owner_.size() && Owns(e.origin),
               "event created for node " << e.origin << " which this rank does not own");
  MOEFAB_CHECK(e.node < owner_.size(), "event for unknown node " << e.node);
  MOEFAB_CHECK(e.tick >= now_, "event scheduled in the past: tick " << e.tick << " < now " << now_);
  e.seq = next_seq_[e.origin]++;
  const RankId dest = owner_[e.node];
  if (dest == transport_.rank()) {
    queue_.push(std::move(e));
    return;
  }
  // Conservative synchronisation: a cross-rank event must not land inside the current window.
  MOEFAB_CHECK(e.tick >= window_end_, "cross-rank event at tick " << e.tick << " for node " << e.node
                                          << " falls inside the window ending at " << window_end_
                                          << " (lookahead " << lookahead_ps_ << " ps too large)");
  outbox_min_ = std::min(outbox_min_, e.tick);
  SerializeEvent(e, outbox_[dest]);
  ++stats_.events_sent;
}

EngineStats Engine::Run(EventHandler& handler, const std::function<void(Tick)>& progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  const bool parallel = transport_.size() > 1;
  // The first window's start needs one agreement; after that every exchange carries each
  // rank's next event time (including the events it sends), so one collective per window.
  Tick start = transport_.AllreduceMin(queue_.empty() ? kTickMax : queue_.top().tick);
  while (start != kTickMax) {
    window_end_ = (lookahead_ps_ == kTickMax || start > kTickMax - lookahead_ps_)
                      ? kTickMax
                      : start + lookahead_ps_;
    ++stats_.windows;
    while (!queue_.empty() && queue_.top().tick < window_end_) {
      // priority_queue::top is const; the event is moved out before pop, which is safe as the
      // heap never looks at a moved-from element again.
      Event e = std::move(const_cast<Event&>(queue_.top()));
      queue_.pop();
      now_ = e.tick;
      CheckContext::Now() = now_;
      handler.Handle(e, *this);
      ++stats_.events;
    }
    if (progress) progress(start);
    Tick local_next = queue_.empty() ? kTickMax : queue_.top().tick;
    if (!parallel) {
      start = local_next;
      continue;
    }
    local_next = std::min(local_next, outbox_min_);
    auto incoming = transport_.ExchangeAndMin(outbox_, local_next, start);
    for (auto& b : outbox_) b.clear();
    outbox_min_ = kTickMax;
    for (const auto& buf : incoming) {
      size_t offset = 0;
      while (offset < buf.size()) {
        Event e = DeserializeEvent(buf, offset);
        MOEFAB_CHECK(Owns(e.node), "received an event for node " << e.node << " not owned here");
        MOEFAB_CHECK(e.tick >= start, "received an event at " << e.tick << " before the next window " << start);
        queue_.push(std::move(e));
      }
    }
  }
  stats_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return stats_;
}

std::vector<RankId> BlockOwners(uint32_t num_nodes, RankId ranks) {
  std::vector<RankId> owner(num_nodes);
  for (uint32_t n = 0; n < num_nodes; ++n)
    owner[n] = static_cast<RankId>(static_cast<uint64_t>(n) * ranks / num_nodes);
  return owner;
}

std::vector<RankId> RoundRobinOwners(uint32_t num_nodes, RankId ranks) {
  std::vector<RankId> owner(num_nodes);
  for (uint32_t n = 0; n < num_nodes; ++n) owner[n] = n % ranks;
  return owner;
}

}  // namespace moefab
