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

void Engine::Schedule(Event&& e) {
  MOEFAB_CHECK(e.origin < owner_.size() && Owns(e.origin),
               "event created for node " << e.origin << " which this rank does not own");
  MOEFAB_CHECK(e.node < owner_.size(), "event for unknown node " << e.node);
  MOEFAB_CHECK(e.tick >= now_, "event scheduled in the past: tick " << e.tick << " < now " << now_);
  e.seq = next_seq_[e.origin]++;
  const RankId dest = owner_[e.node];
  if (dest == transport_.rank()) {
    Push(std::move(e));
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

void Engine::Push(Event&& e) {
  uint32_t slot;
  if (free_.empty()) {
    slot = static_cast<uint32_t>(pool_.size());
    pool_.push_back(std::move(e));
  } else {
    slot = free_.back();
    free_.pop_back();
    pool_[slot] = std::move(e);
  }
  const Event& in = pool_[slot];
  MOEFAB_CHECK(in.origin < (1u << 24) && in.seq < (1ull << 32),
               "event key out of range: origin " << in.origin << " seq " << in.seq);
  heap_.push(QueueEntry{in.tick,
                        (uint64_t{static_cast<uint8_t>(in.kind)} << 56) |
                            (uint64_t{in.origin} << 32) | in.seq,
                        slot});
}

uint32_t Engine::PopTop() {
  const uint32_t slot = heap_.top().slot;
  heap_.pop();
  return slot;
}

EngineStats Engine::Run(EventHandler& handler, const std::function<void(Tick)>& progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  const bool parallel = transport_.size() > 1;
  // The first window's start needs one agreement; after that every exchange carries each
  // rank's next event time (including the events it sends), so one collective per window.
  Tick start = transport_.AllreduceMin(TopTick());
  while (start != kTickMax) {
    window_end_ = (lookahead_ps_ == kTickMax || start > kTickMax - lookahead_ps_)
                      ? kTickMax
                      : start + lookahead_ps_;
    ++stats_.windows;
    while (TopTick() < window_end_) {
      const uint32_t slot = PopTop();
      Event& e = pool_[slot];  // stays put while the handler schedules more (deque)
      now_ = e.tick;
      CheckContext::Now() = now_;
      handler.Handle(e, *this);
      // Release what the event held before its slot is reused.
      e.payload = {};
      e.net.data.reset();
      free_.push_back(slot);
      ++stats_.events;
    }
    if (progress) progress(start);
    Tick local_next = TopTick();
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
        Push(std::move(e));
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
