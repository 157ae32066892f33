// Transport over MPI collectives (MPI_Allreduce, MPI_Alltoall(v), MPI_Gatherv, MPI_Bcast).
#pragma once

#include <mpi.h>

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
  /// The window exchange: one non-blocking MPI_Ialltoall carries, to every rank, the bytes
  /// for it and this rank's summary; an MPI_Alltoallv follows only when some rank sends.
  void StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) override;
  bool WindowReady() override;
  void WaitWindow() override;
  WindowSummary FinishWindow(std::vector<std::span<const std::byte>>& incoming) override;
  std::vector<Bytes> GatherToRoot(const Bytes& local) override;
  Bytes Broadcast(const Bytes& from_root) override;
  [[nodiscard]] const char* name() const override { return "mpi"; }

 private:
  std::vector<Bytes> Alltoallv(const std::vector<Bytes>& outgoing, const std::vector<int>& send_counts,
                               const std::vector<int>& recv_counts);
  // One rank's header of a window exchange, sent to every rank.
  struct Header {
    uint64_t bytes;         // for the receiving rank
    uint64_t total;         // this rank sends in all (every rank takes the same Alltoallv branch)
    WindowSummary summary;  // this rank's
  };
  MPI_Comm comm_;    // communicator of the run
  RankId rank_ = 0;  // this process
  RankId size_ = 1;  // ranks in comm_
  // The window exchange in flight.
  std::vector<Bytes>* window_out_ = nullptr;  // borrowed until FinishWindow
  std::vector<Bytes> window_in_;              // what FinishWindow's spans show
  std::vector<Header> send_headers_, recv_headers_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool window_ready_ = false;
};

}  // namespace moefab
