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
  std::vector<Bytes> ExchangeAndMin(const std::vector<Bytes>& outgoing, Tick local_min,
                                    Tick& global_min) override;
  std::vector<Bytes> GatherToRoot(const Bytes& local) override;
  Bytes Broadcast(const Bytes& from_root) override;

 private:
  std::vector<Bytes> Alltoallv(const std::vector<Bytes>& outgoing, const std::vector<int>& send_counts,
                               const std::vector<int>& recv_counts);
  MPI_Comm comm_;   // communicator of the run
  RankId rank_ = 0; // this process
  RankId size_ = 1; // ranks in comm_
};

}  // namespace moefab
