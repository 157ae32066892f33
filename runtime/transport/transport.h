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
  uint64_t count = 0;             // a progress counter of the model (e.g. tokens finished)
};

/// Combines two summaries: min of the ticks, sum of the counts.
inline WindowSummary Combine(const WindowSummary& a, const WindowSummary& b) {
  return WindowSummary{std::min(a.next, b.next), std::min(a.horizon, b.horizon),
                       std::min(a.horizon_after, b.horizon_after), a.count + b.count};
}

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
  /// is not starved); FinishWindow (after ready: incoming[r] from rank r, and the combined
  /// summary of all ranks). The default runs ExchangeAndMin-style framing over Exchange
  /// inside WindowReady.
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
    for (auto& b : pending_in_) {
      if (b.empty()) continue;  // own slot (transports may leave it empty)
      ByteReader r(b);
      pending_all_ = Combine(pending_all_, r.Get<WindowSummary>());
      b.erase(b.begin(), b.begin() + sizeof(WindowSummary));
    }
    pending_done_ = true;
    return true;
  }
  virtual void WaitWindow() { WindowReady(); }
  virtual WindowSummary FinishWindow(std::vector<Bytes>& incoming) {
    WaitWindow();
    incoming = std::move(pending_in_);
    pending_in_.clear();
    pending_done_ = false;
    return pending_all_;
  }
  /// Rank 0 receives every rank's buffer in rank order; other ranks get an empty vector.
  virtual std::vector<Bytes> GatherToRoot(const Bytes& local) = 0;
  /// Rank 0's buffer is copied to all ranks (collective).
  virtual Bytes Broadcast(const Bytes& from_root) = 0;
  /// "mpi", "ucx", "shm" or "loopback" (results.json host.transport).
  [[nodiscard]] virtual const char* name() const = 0;

 private:
  // The default window exchange's state.
  std::vector<Bytes>* pending_out_ = nullptr;
  WindowSummary pending_mine_;
  WindowSummary pending_all_;
  std::vector<Bytes> pending_in_;
  bool pending_done_ = false;
};

}  // namespace moefab
