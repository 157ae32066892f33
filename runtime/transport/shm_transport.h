// Transport for ranks that share one node, through an MPI-3 shared memory window: no MPI call
// per window, and the asynchronous channels of the engine's protocol. The collectives (min,
// sum, gather, broadcast) stay on MPI over the same communicator.
//
// Every rank owns a part of the shared window, which it alone writes (but for the ring heads,
// which the reader of each ring writes in its own part):
// - window exchange: two sides by window parity, each one cache line (more beyond 2 ranks)
//   holding the window count, the summary and the bytes sent to each rank, and per
//   destination two buffers by parity. The sender copies its events for rank r into buffer
//   (r, parity), writes that side's counts and summary, then its window count (release). A
//   receiver spins on that word: when it turns, the summary and counts came in the same line
//   (on this VM a line moves between cores in ~300 ns: one line fewer per window matters). A
//   rank is at most one window ahead of any other, so a parity is never read while written.
//   A buffer larger than `capacity_bytes` goes by MPI point to point (both sides see its size).
// - asynchronous channels: its published state and clocks (one per destination), a doorbell,
//   and one ring per destination: records [length][bytes] written at the tail by the sender,
//   read at the head by the receiver; a record that does not fit before the end wraps to the
//   start behind a marker.
//
// Waiting backs off: a short spin (two ranks on two cores meet in well under a microsecond),
// then sched_yield, then a futex sleep with a 1 ms timeout, so a rank sharing a core with
// another (oversubscribed) never starves it; after the peer timeout (peer_wait.h) without a
// word from the rank waited for, the job ends with a message naming it.
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/peer_wait.h"
#include "runtime/transport/transport.h"

namespace moefab {

struct ShmOptions {
  uint64_t capacity_bytes = 1 << 20;  // per (sender, receiver, parity) window buffer; larger goes by MPI
  uint64_t ring_bytes = 4 << 20;      // per (sender, receiver) asynchronous ring
  uint32_t spin_iterations = 4000;    // pause loops before yielding the core
  uint32_t yield_iterations = 64;     // sched_yield calls before sleeping on a futex
};

class ShmTransport final : public Transport, public AsyncChannels {
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
  AsyncChannels* async() override { return this; }

  // The window exchange.
  void StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) override;
  bool WindowReady() override;
  void WaitWindow() override;
  WindowSummary FinishWindow(std::vector<std::span<const std::byte>>& incoming) override;

  // AsyncChannels.
  bool Send(RankId peer, std::span<const std::byte> bytes) override;
  void Publish(const std::vector<Tick>& clock_to, const RankClock& mine) override;
  void Read(RankId peer, RankClock& state, Tick& clock_to_me) override;
  std::span<const std::byte> Peek(RankId peer) override;
  void Consume(RankId peer) override;
  void WaitForPeers() override;

 private:
  struct Control;  // window exchange: ranks sleeping on this rank's window words
  struct State;    // asynchronous: the published RankClock
  struct Bell;     // asynchronous: doorbell, sleeping
  // Offsets of every part inside a rank's share of the window (bytes, whole cache lines).
  struct Layout {
    size_t control = 0, state = 0, bell = 0, clocks = 0, tails = 0, heads = 0;
    size_t sides = 0, side_bytes = 0, buffers = 0, rings = 0, total = 0;
  };
  Control& ControlOf(RankId r) const;
  State& StateOf(RankId r) const;
  Bell& BellOf(RankId r) const;
  std::atomic<uint64_t>& ClockOf(RankId from, RankId to) const;
  std::atomic<uint64_t>& TailOf(RankId from, RankId to) const;  // in the sender's share
  std::atomic<uint64_t>& HeadOf(RankId from, RankId to) const;  // in the receiver's share
  std::byte* RingOf(RankId from, RankId to) const;
  std::atomic<uint32_t>& WindowWordOf(RankId r, uint32_t parity) const;  // windows published
  WindowSummary* SummaryOf(RankId r, uint32_t parity) const;
  uint64_t* BytesOf(RankId r, uint32_t parity) const;
  std::byte* BufferOf(RankId sender, RankId receiver, uint32_t parity) const;
  bool PeerReady(RankId r) const;
  void Ring(RankId peer);  // wakes `peer` if it waits

  MpiTransport mpi_;  // collectives and oversized buffers
  MPI_Comm comm_;     // borrowed
  ShmOptions options_;
  MPI_Win win_ = MPI_WIN_NULL;
  std::vector<std::byte*> base_;  // base_[r]: rank r's share of the window, mapped here
  Layout layout_;
  uint32_t window_ = 0;              // windows started
  std::vector<Bytes> overflow_out_;  // buffers sent by MPI this window (kept until sent)
  std::vector<Bytes> overflow_in_;   // buffers received by MPI this window
  std::vector<MPI_Request> overflow_requests_;
  bool ready_ = false;                  // every peer published this window
  std::vector<uint64_t> tail_;          // per destination: bytes written to its ring (local copy)
  std::vector<uint64_t> head_;          // per source: bytes consumed from its ring (local copy)
  std::vector<uint64_t> peeked_;        // per source: the head after the batch Peek returned
  std::vector<Tick> published_clock_;   // per destination: the clock last published
  std::vector<uint64_t> seen_version_;  // per peer: its publication last Read
  bool quiet_ = false;                  // WaitForPeers found nothing new since the last news
  PeerWait quiet_wait_;                 // how long it has been quiet (the peer timeout)
};

}  // namespace moefab
