// Engine::RunAsync: the asynchronous protocol over shared-memory channels (no global windows),
// defined apart from the window protocol in engine.h, which includes this file at its end.
#pragma once

#include "runtime/pdes/engine.h"

namespace moefab::pdes {

template <class M, class... P>
EngineStats Engine<M, PayloadList<P...>>::RunAsync(M& model, AsyncChannels& ch, const ProgressOptions& progress) {
  using Clock = std::chrono::steady_clock;
  const auto wall_start = Clock::now();
  detail::CycleTally tally;
  const RankId ranks = transport_.size(), me = transport_.rank();
  window_end_ = all_done_ = 0;  // the sender-side window check is off: the receiver checks causality
  std::vector<Tick> lookahead(ranks, kTickMax), clock_to(ranks, 0), peer_clock(ranks, 0);
  for (RankId r = 0; r < ranks; ++r)
    if (r != me) lookahead[r] = model.PacketLookahead(r);
  std::vector<RankClock> peer(ranks);
  RankClock mine;
  auto last_report = wall_start;
  // Reads every peer; true when any published something new.
  const auto look = [&] {
    bool changed = false;
    for (RankId s = 0; s < ranks; ++s) {
      if (s == me) continue;
      RankClock st;
      Tick c = 0;
      ch.Read(s, st, c);
      changed = changed || st.activity != peer[s].activity || c != peer_clock[s] || st.done != peer[s].done;
      peer[s] = st;
      peer_clock[s] = c;
    }
    return changed;
  };
  const auto terminated = [&] {
    // Two looks at everyone, equal and quiet: no event anywhere, none in flight.
    std::vector<uint64_t> activity(ranks);
    uint64_t sent = mine.sent, received = mine.received;
    for (int pass = 0; pass < 2; ++pass) {
      for (RankId s = 0; s < ranks; ++s) {
        if (s == me) continue;
        RankClock st;
        Tick c = 0;
        ch.Read(s, st, c);
        if (!st.idle || (pass == 1 && st.activity != activity[s])) return false;
        activity[s] = st.activity;
        if (pass == 0) {
          sent += st.sent;
          received += st.received;
        }
      }
      if (pass == 0 && sent != received) return false;
    }
    return true;
  };
  // How far this rank's clock advances between two publishes while it runs: half the smallest
  // lookahead, so a peer waiting on it may go on after half a lookahead (DeepSeek-V3, 2 ranks:
  // a quarter costs more in publishing than it saves in waiting, docs/SCALING.md).
  Tick step = kTickMax;
  for (RankId r = 0; r < ranks; ++r)
    if (r != me) step = std::min(step, lookahead[r]);
  step = std::max<Tick>(1, step == kTickMax ? kTickMax : step / 2);
  Tick next_publish = kTickMax;  // publish again once the next event is at or after this tick
  // Sends what can go (what cannot caps this rank's clock towards that peer) and publishes this
  // rank's clocks and state.
  const auto publish = [&](Tick safe, bool active) {
    for (RankId d = 0; d < ranks; ++d) {
      if (d == me || outbox_[d].empty()) continue;
      if (!ch.Send(d, outbox_[d])) continue;
      mine.sent += outbox_events_[d];
      outbox_[d].clear();
      outbox_min_by_[d] = kTickMax;
      outbox_events_[d] = 0;
    }
    bool unsent = false;
    for (RankId d = 0; d < ranks; ++d) unsent = unsent || !outbox_[d].empty();
    const Tick done = std::min(TopTick(), safe);
    for (RankId d = 0; d < ranks; ++d) {
      if (d == me) continue;
      const PeerHorizon h = model.PeerBound(d, peer[d].done);
      clock_to[d] = std::min(Add(done, std::min(lookahead[d], h.credits_out_after)), outbox_min_by_[d]);
    }
    if (active) ++mine.activity;
    mine.done = done;
    mine.count = ProgressCountOf(model);
    mine.idle = Empty() && !unsent ? 1 : 0;
    ch.Publish(clock_to, mine);
    next_publish = Add(done, step);
  };
  ch.Publish(clock_to, mine);
  uint64_t rounds = 0;
  for (;;) {
    ++rounds;
    const uint64_t round_start = detail::Cycles();
    look();
    // Everything the peers sent before the clocks just read.
    uint64_t got = 0;
    for (RankId s = 0; s < ranks; ++s) {
      if (s == me) continue;
      for (auto batch = ch.Peek(s); !batch.empty(); batch = ch.Peek(s)) {
        Receive(batch, 0, &got, true);
        ch.Consume(s);
      }
    }
    mine.received += got;
    // Safe: below every peer's clock and the model's bound on what each peer may still send.
    Tick safe = kTickMax;
    for (RankId s = 0; s < ranks; ++s) {
      if (s == me) continue;
      safe = std::min({safe, peer_clock[s], model.PeerBound(s, peer[s].done).credits_in});
    }
    uint32_t handled = 0;
    const uint64_t work_start = detail::Cycles();
    while (TopTick() < safe && handled < kAsyncBatch && !OutboxFull()) {
      sent_to_ = kNoRank;
      HandleTop(model);
      ++handled;
      // What this event sent may come back earlier than the peer's clock (e.g. the credit of
      // a packet the peer will deliver at once): the model's bound tightens now.
      if (sent_to_ != kNoRank) {
        for (RankId d = 0; d < ranks; ++d)
          if (d != me && outbox_events_[d] > 0) safe = std::min(safe, model.PeerBound(d, peer[d].done).credits_in);
      }
      // Publish as the clock advances, not only when this rank runs out of safe events: a peer
      // waiting on it then runs in parallel instead of in turn.
      if (TopTick() >= next_publish) publish(safe, true);
    }
    const uint64_t work_end = detail::Cycles();
    tally.work += work_end - work_start;
    tally.wait += work_start - round_start;
    publish(safe, handled || got);
    const Tick done = mine.done;
    if (progress.interval_seconds > 0 && progress.report && (rounds % kWindowsPerClockCheck) == 0) {
      const auto now = Clock::now();
      if (std::chrono::duration<double>(now - last_report).count() >= progress.interval_seconds) {
        last_report = now;
        uint64_t count = mine.count;
        for (RankId s = 0; s < ranks; ++s)
          if (s != me) count += peer[s].count;
        progress.report(done == kTickMax ? now_ : done, count, std::chrono::duration<double>(now - wall_start).count());
      }
    }
    if (handled || got) continue;
    if (mine.idle && terminated()) break;
    const uint64_t wait_start = detail::Cycles();
    bool background = false;
    if constexpr (requires { model.Background(); }) {
      background = model.Background();
      tally.background += detail::Cycles() - wait_start;
    }
    if (!background) {
      ch.WaitForPeers();
      tally.wait += detail::Cycles() - wait_start;
    }
  }
  stats_.windows = rounds;
  stats_.events_sent = mine.sent;
  stats_.wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
  stats_.work_seconds = tally.Seconds(tally.work, stats_.wall_seconds);
  stats_.background_seconds = tally.Seconds(tally.background, stats_.wall_seconds);
  stats_.wait_seconds = tally.Seconds(tally.wait, stats_.wall_seconds);
  return stats_;
}

}  // namespace moefab::pdes
