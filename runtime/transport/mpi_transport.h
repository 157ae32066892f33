// Transport over MPI (window headers point to point; MPI_Allreduce, MPI_Alltoall(v), MPI_Gatherv,
// MPI_Bcast as their non-blocking forms, waited on with peer_wait.h's back-off and timeout).
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "runtime/transport/transport.h"

namespace moefab {

class MpiTransport final : public Transport {
 public:
  explicit MpiTransport(MPI_Comm comm);  // borrowed; must outlive the transport
  [[nodiscard]] RankId rank() const override { return rank_; }
  [[nodiscard]] RankId size() const override { return size_; }
  Tick AllreduceMin(Tick local) override;
  uint64_t AllreduceSum(uint64_t local) override;
  std::vector<Bytes> Exchange(const std::vector<Bytes>& outgoing) override;
  /// The window exchange: a header to every peer (point to point, non-blocking) carries the
  /// bytes for it and this rank's summary; then the events go point to point between the
  /// pairs that have some (only when some rank sends).
  /// Every wait backs off and ends the job after the peer timeout (peer_wait.h).
  void StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) override;
  bool WindowReady() override;
  void WaitWindow() override;
  WindowSummary FinishWindow(std::vector<std::span<const std::byte>>& incoming) override;
  std::vector<Bytes> GatherToRoot(const Bytes& local) override;
  Bytes Broadcast(const Bytes& from_root) override;
  [[nodiscard]] const char* name() const override { return "mpi"; }

 private:
  /// "rank R" for the one other rank of 2, else "another rank" (what a collective's wait names).
  [[nodiscard]] std::string Others() const;
  /// Waits for `requests` ([2r]: from peer r, [2r + 1]: to it); names the silent peers.
  void WaitPeers(std::vector<MPI_Request>& requests, const char* what);
  std::vector<Bytes> Alltoallv(const std::vector<Bytes>& outgoing, const std::vector<int>& send_counts,
                               const std::vector<int>& recv_counts);
  // One rank's header of a window exchange, sent to every rank.
  struct Header {
    uint64_t bytes;         // for the receiving rank
    uint64_t total;         // this rank sends in all (none anywhere: no event messages at all)
    WindowSummary summary;  // this rank's
  };
  MPI_Comm comm_;    // communicator of the run
  RankId rank_ = 0;  // this process
  RankId size_ = 1;  // ranks in comm_
  // The window exchange in flight.
  std::vector<Bytes>* window_out_ = nullptr;  // borrowed until FinishWindow
  std::vector<Bytes> window_in_;              // what FinishWindow's spans show
  std::vector<Header> send_headers_, recv_headers_;
  std::vector<MPI_Request> requests_;  // per peer r: [2r] its header in, [2r + 1] ours out
  bool window_ready_ = false;
};

}  // namespace moefab
