#include "runtime/transport/mpi_transport.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace moefab {

namespace {
void Check(int rc, const char* what) {
  MOEFAB_CHECK(rc == MPI_SUCCESS, "MPI call " << what << " failed with code " << rc);
}
std::vector<int> Displacements(const std::vector<int>& counts) {
  std::vector<int> displs(counts.size(), 0);
  for (size_t i = 1; i < counts.size(); ++i) displs[i] = displs[i - 1] + counts[i - 1];
  return displs;
}
}  // namespace

MpiTransport::MpiTransport(MPI_Comm comm) : comm_(comm) {
  int r = 0, s = 1;
  Check(MPI_Comm_rank(comm_, &r), "MPI_Comm_rank");
  Check(MPI_Comm_size(comm_, &s), "MPI_Comm_size");
  rank_ = static_cast<RankId>(r);
  size_ = static_cast<RankId>(s);
}

Tick MpiTransport::AllreduceMin(Tick local) {
  unsigned long long in = local, out = 0;
  Check(MPI_Allreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm_), "MPI_Allreduce(min)");
  return out;
}

uint64_t MpiTransport::AllreduceSum(uint64_t local) {
  unsigned long long in = local, out = 0;
  Check(MPI_Allreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm_), "MPI_Allreduce(sum)");
  return out;
}

std::vector<Bytes> MpiTransport::Exchange(const std::vector<Bytes>& outgoing) {
  MOEFAB_CHECK(outgoing.size() == size_, "Exchange needs one buffer per rank");
  std::vector<int> send_counts(size_), recv_counts(size_);
  for (RankId r = 0; r < size_; ++r) {
    MOEFAB_CHECK(outgoing[r].size() < (1ULL << 31), "exchange buffer too large");
    send_counts[r] = static_cast<int>(outgoing[r].size());
  }
  Check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm_), "MPI_Alltoall");
  return Alltoallv(outgoing, send_counts, recv_counts);
}

void MpiTransport::StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) {
  MOEFAB_CHECK(outgoing.size() == size_, "window exchange needs one buffer per rank");
  MOEFAB_CHECK(request_ == MPI_REQUEST_NULL, "a window exchange is already in flight");
  uint64_t total = 0;
  for (const auto& b : outgoing) total += b.size();
  send_headers_.assign(size_, Header{0, total, mine});
  recv_headers_.resize(size_);
  for (RankId r = 0; r < size_; ++r) {
    MOEFAB_CHECK(outgoing[r].size() < (1ULL << 31), "exchange buffer too large");
    send_headers_[r].bytes = outgoing[r].size();
  }
  window_out_ = &outgoing;
  window_ready_ = false;
  Check(MPI_Ialltoall(send_headers_.data(), sizeof(Header), MPI_BYTE, recv_headers_.data(), sizeof(Header), MPI_BYTE,
                      comm_, &request_),
        "MPI_Ialltoall");
}

bool MpiTransport::WindowReady() {
  if (!window_ready_) {
    int done = 0;
    Check(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test");
    window_ready_ = done != 0;
  }
  return window_ready_;
}

void MpiTransport::WaitWindow() {
  if (window_ready_) return;
  Check(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
  window_ready_ = true;
}

WindowSummary MpiTransport::FinishWindow(std::vector<std::span<const std::byte>>& incoming) {
  WaitWindow();
  WindowSummary all;
  others_ = WindowSummary{};
  uint64_t total = 0;
  std::vector<int> send_counts(size_), recv_counts(size_);
  for (RankId r = 0; r < size_; ++r) {
    all = Combine(all, recv_headers_[r].summary);
    if (r != rank_) others_ = Combine(others_, recv_headers_[r].summary);
    total += recv_headers_[r].total;
    send_counts[r] = static_cast<int>(send_headers_[r].bytes);
    recv_counts[r] = static_cast<int>(recv_headers_[r].bytes);
  }
  // Every rank sees every total, so all take the same branch.
  if (total == 0) {
    window_in_.assign(size_, Bytes());
  } else {
    window_in_ = Alltoallv(*window_out_, send_counts, recv_counts);
  }
  incoming.assign(window_in_.begin(), window_in_.end());
  window_out_ = nullptr;
  window_ready_ = false;
  return all;
}

std::vector<Bytes> MpiTransport::Alltoallv(const std::vector<Bytes>& outgoing, const std::vector<int>& send_counts,
                                           const std::vector<int>& recv_counts) {
  const auto send_displs = Displacements(send_counts);
  const auto recv_displs = Displacements(recv_counts);
  Bytes send_buf;
  send_buf.reserve(static_cast<size_t>(std::accumulate(send_counts.begin(), send_counts.end(), 0)));
  for (const auto& b : outgoing) send_buf.insert(send_buf.end(), b.begin(), b.end());
  Bytes recv_buf(static_cast<size_t>(std::accumulate(recv_counts.begin(), recv_counts.end(), 0)));
  Check(MPI_Alltoallv(send_buf.data(), send_counts.data(), send_displs.data(), MPI_BYTE, recv_buf.data(),
                      recv_counts.data(), recv_displs.data(), MPI_BYTE, comm_),
        "MPI_Alltoallv");
  std::vector<Bytes> incoming(size_);
  for (RankId r = 0; r < size_; ++r)
    incoming[r].assign(recv_buf.begin() + recv_displs[r], recv_buf.begin() + recv_displs[r] + recv_counts[r]);
  return incoming;
}

std::vector<Bytes> MpiTransport::GatherToRoot(const Bytes& local) {
  MOEFAB_CHECK(local.size() < (1ULL << 31), "gather buffer too large");
  int count = static_cast<int>(local.size());
  std::vector<int> counts(rank_ == 0 ? size_ : 0);
  Check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_), "MPI_Gather");
  std::vector<int> displs;
  Bytes all;
  if (rank_ == 0) {
    displs = Displacements(counts);
    all.resize(static_cast<size_t>(std::accumulate(counts.begin(), counts.end(), 0)));
  }
  Check(MPI_Gatherv(local.data(), count, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0, comm_),
        "MPI_Gatherv");
  std::vector<Bytes> out;
  if (rank_ == 0) {
    out.resize(size_);
    for (RankId r = 0; r < size_; ++r) out[r].assign(all.begin() + displs[r], all.begin() + displs[r] + counts[r]);
  }
  return out;
}

Bytes MpiTransport::Broadcast(const Bytes& from_root) {
  unsigned long long n = from_root.size();
  Check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm_), "MPI_Bcast(size)");
  Bytes out = rank_ == 0 ? from_root : Bytes(n);
  MOEFAB_CHECK(n < (1ULL << 31), "broadcast buffer too large");
  Check(MPI_Bcast(out.data(), static_cast<int>(n), MPI_BYTE, 0, comm_), "MPI_Bcast");
  return out;
}

}  // namespace moefab
