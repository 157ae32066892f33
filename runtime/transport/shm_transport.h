// Transport for ranks that share one node: the window exchange runs through an MPI-3 shared
// memory window, with no MPI call per window; the collectives (min, sum, gather, broadcast)
// stay on MPI over the same communicator.
//
// Layout: every rank owns a part of the shared window: a control line (its published window
// count, a count of ranks sleeping on it), two copies by window parity of its summary and of
// the byte counts it sends to each rank, and, per destination rank, two buffers by window
// parity. A window: the sender copies its events for rank r into its buffer (r, parity),
// writes the counts and summary of that parity, then publishes the window count (release) and
// wakes sleepers. A receiver is ready once every peer's count reached this window (acquire);
// it then reads the peers' buffers of this parity. A rank can be at most one window ahead of
// any other, so the other parity is never read while it is written. A buffer larger than
// `capacity_bytes` goes by MPI point to point instead (both sides see its size).
//
// Waiting backs off: a short spin (two ranks on two cores swap a window in well under a
// microsecond), then sched_yield, then a futex sleep on the peer's window count with a 1 ms
// timeout, so a rank sharing a core with another (oversubscribed) never starves it.
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/transport.h"

namespace moefab {

struct ShmOptions {
  uint64_t capacity_bytes = 1 << 20;  // per (sender, receiver, parity) buffer; larger goes by MPI
  uint32_t spin_iterations = 4000;    // pause loops before yielding the core
  uint32_t yield_iterations = 64;     // sched_yield calls before sleeping on a futex
};

class ShmTransport final : public Transport {
 public:
  /// Collective over `comm` (borrowed; must outlive the transport). Every rank of `comm` must
  /// share one node (OnOneNode); the destructor is collective too.
  explicit ShmTransport(MPI_Comm comm, const ShmOptions& options = {});
  ~ShmTransport() override;
  ShmTransport(const ShmTransport&) = delete;
  ShmTransport& operator=(const ShmTransport&) = delete;

  /// True when every rank of `comm` shares this node (collective).
  static bool OnOneNode(MPI_Comm comm);

  [[nodiscard]] RankId rank() const override { return mpi_.rank(); }
  [[nodiscard]] RankId size() const override { return mpi_.size(); }
  Tick AllreduceMin(Tick local) override { return mpi_.AllreduceMin(local); }
  uint64_t AllreduceSum(uint64_t local) override { return mpi_.AllreduceSum(local); }
  std::vector<Bytes> Exchange(const std::vector<Bytes>& outgoing) override { return mpi_.Exchange(outgoing); }
  std::vector<Bytes> GatherToRoot(const Bytes& local) override { return mpi_.GatherToRoot(local); }
  Bytes Broadcast(const Bytes& from_root) override { return mpi_.Broadcast(from_root); }
  [[nodiscard]] const char* name() const override { return "shm"; }

  void StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) override;
  bool WindowReady() override;
  void WaitWindow() override;
  WindowSummary FinishWindow(std::vector<Bytes>& incoming) override;

 private:
  struct Control;                         // the shared control line of one rank
  Control& ControlOf(RankId r) const;
  // One parity of rank r's published state: its summary, then the bytes it sends to each rank.
  WindowSummary* SummaryOf(RankId r, uint32_t parity) const;
  uint64_t* BytesOf(RankId r, uint32_t parity) const;
  std::byte* BufferOf(RankId sender, RankId receiver, uint32_t parity) const;
  bool PeerReady(RankId r) const;

  MpiTransport mpi_;                      // collectives and oversized buffers
  MPI_Comm comm_;                         // borrowed
  ShmOptions options_;
  MPI_Win win_ = MPI_WIN_NULL;
  std::vector<std::byte*> base_;          // base_[r]: rank r's part of the window, mapped here
  size_t side_bytes_ = 0;                 // one parity's summary and counts, whole cache lines
  uint32_t window_ = 0;                   // windows started
  std::vector<Bytes> overflow_out_;       // buffers sent by MPI this window (kept until sent)
  std::vector<MPI_Request> overflow_requests_;
  bool ready_ = false;                    // every peer published this window
};

}  // namespace moefab
