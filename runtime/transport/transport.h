// Cross-rank transport: the only way ranks talk. The engine uses it once per window to swap
// the events that crossed ranks together with every rank's window summary (the window
// exchange: started, tested without blocking, waited on, finished; one round where the
// transport can); the results code uses the collectives to gather statistics on rank 0.
// Implementations: MPI (collectives), UCX (UCP point to point) and shared memory (ranks on one
// node: MPI-3 shared windows, no MPI call per window).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/byte_io.h"
#include "core/types.h"

namespace moefab {

/// What a rank contributes to a window exchange besides its events. Ticks are min-reduced over
/// the ranks, `count` is summed.
struct WindowSummary {
  Tick next = kTickMax;           // earliest event this rank holds or has just sent
  Tick horizon = kTickMax;        // earliest tick it may still send an event at (absolute)
  Tick horizon_after = kTickMax;  // the same, counted from the next window's start (relative)
  Tick receive_bound = kTickMax;  // earliest tick another rank may send it an event at (model's bound)
  uint64_t count = 0;             // a progress counter of the model (e.g. tokens finished)
};

/// Combines two summaries: min of the ticks, sum of the counts.
inline WindowSummary Combine(const WindowSummary& a, const WindowSummary& b) {
  return WindowSummary{std::min(a.next, b.next), std::min(a.horizon, b.horizon),
                       std::min(a.horizon_after, b.horizon_after), std::min(a.receive_bound, b.receive_bound),
                       a.count + b.count};
}

/// What a rank publishes for the engine's asynchronous protocol (AsyncChannels).
struct RankClock {
  Tick done = 0;          // every event before this tick has been handled on this rank
  uint64_t activity = 0;  // changes whenever this rank handles, sends or receives an event
  uint64_t sent = 0;      // events sent to other ranks, in all
  uint64_t received = 0;  // events received from other ranks, in all
  uint64_t count = 0;     // the model's progress counter
  uint64_t idle = 0;      // 1: nothing queued, nothing unsent, nothing unread
};

/// Point-to-point channels between ranks that share memory, with published clocks: what the
/// engine's asynchronous conservative protocol needs (runtime/pdes/engine.h). One thread per
/// rank uses them.
class AsyncChannels {
 public:
  virtual ~AsyncChannels() = default;
  /// Copies `bytes` (whole events) into the channel to `peer`, or returns false if it does not
  /// fit now (the caller keeps them and tries again after the peer has read).
  virtual bool Send(RankId peer, std::span<const std::byte> bytes) = 0;
  /// Publishes, in this order after everything sent before: clock_to[r] (no event sent to r
  /// from now on has an earlier tick) for every other rank r, then `mine`; wakes waiting peers.
  virtual void Publish(const std::vector<Tick>& clock_to, const RankClock& mine) = 0;
  /// What `peer` last published: its state (read first), then its clock towards this rank.
  virtual void Read(RankId peer, RankClock& state, Tick& clock_to_me) = 0;
  /// The next batch of bytes `peer` sent that this rank has not consumed (whole events; empty
  /// when none), and its release once decoded.
  virtual std::span<const std::byte> Peek(RankId peer) = 0;
  virtual void Consume(RankId peer) = 0;
  /// Blocks until some peer has published since this rank last Read it: spin, then yield, then
  /// a futex sleep with a short timeout, so that a rank sharing a core never starves another.
  virtual void WaitForPeers() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  [[nodiscard]] virtual RankId rank() const = 0;
  [[nodiscard]] virtual RankId size() const = 0;
  /// Global minimum over all ranks (collective).
  virtual Tick AllreduceMin(Tick local) = 0;
  /// Global maximum over all ranks (collective).
  Tick AllreduceMax(Tick local) { return kTickMax - AllreduceMin(kTickMax - local); }
  /// Global sum over all ranks (collective).
  virtual uint64_t AllreduceSum(uint64_t local) = 0;
  /// outgoing[r] is sent to rank r; returns incoming[r] received from rank r (collective).
  virtual std::vector<Bytes> Exchange(const std::vector<Bytes>& outgoing) = 0;
  /// The window exchange, collective, in four steps: StartWindow (outgoing[r] goes to rank r);
  /// WindowReady (never blocks: true once everything has arrived; between calls the caller may
  /// do other work); WaitWindow (blocks until ready, backing off so that a rank sharing a core
  /// is not starved); FinishWindow (after ready: incoming[r] from rank r, valid until the next
  /// StartWindow, and the combined summary of all ranks; `others()` then holds the combined
  /// summary of every rank but this one). The default frames each buffer with the summary
  /// and runs Exchange inside WindowReady.
  virtual void StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) {
    pending_out_ = &outgoing;
    pending_mine_ = mine;
    pending_done_ = false;
  }
  virtual bool WindowReady() {
    if (pending_done_) return true;
    std::vector<Bytes> framed(pending_out_->size());
    for (size_t r = 0; r < framed.size(); ++r) {
      ByteWriter w(framed[r]);
      w.Put(pending_mine_);
      framed[r].insert(framed[r].end(), (*pending_out_)[r].begin(), (*pending_out_)[r].end());
    }
    pending_in_ = Exchange(framed);
    pending_all_ = pending_mine_;
    others_ = WindowSummary{};
    for (size_t i = 0; i < pending_in_.size(); ++i) {
      Bytes& b = pending_in_[i];
      if (b.empty()) continue;  // own slot (transports may leave it empty)
      ByteReader r(b);
      const auto theirs = r.Get<WindowSummary>();
      pending_all_ = Combine(pending_all_, theirs);
      if (i != rank()) others_ = Combine(others_, theirs);
      b.erase(b.begin(), b.begin() + sizeof(WindowSummary));
    }
    pending_done_ = true;
    return true;
  }
  virtual void WaitWindow() { WindowReady(); }
  virtual WindowSummary FinishWindow(std::vector<std::span<const std::byte>>& incoming) {
    WaitWindow();
    incoming.assign(pending_in_.begin(), pending_in_.end());
    pending_done_ = false;
    return pending_all_;
  }
  /// Rank 0 receives every rank's buffer in rank order; other ranks get an empty vector.
  virtual std::vector<Bytes> GatherToRoot(const Bytes& local) = 0;
  /// Rank 0's buffer is copied to all ranks (collective).
  virtual Bytes Broadcast(const Bytes& from_root) = 0;
  /// "mpi", "ucx", "shm" or "loopback" (results.json host.transport).
  [[nodiscard]] virtual const char* name() const = 0;
  /// The asynchronous channels of this transport, or null if it has none.
  virtual AsyncChannels* async() { return nullptr; }
  /// After FinishWindow: the summaries of every other rank, combined.
  [[nodiscard]] const WindowSummary& others() const { return others_; }

 protected:
  WindowSummary others_;  // set by every FinishWindow

 private:
  // The default window exchange's state.
  std::vector<Bytes>* pending_out_ = nullptr;
  WindowSummary pending_mine_;
  WindowSummary pending_all_;
  std::vector<Bytes> pending_in_;
  bool pending_done_ = false;
};

}  // namespace moefab
