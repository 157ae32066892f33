#include "runtime/transport/mpi_transport.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "runtime/transport/peer_wait.h"

namespace moefab {

namespace {
void Check(int rc, const char* what) {
  MOEFAB_CHECK(rc == MPI_SUCCESS, "MPI call " << what << " failed with code " << rc);
}
constexpr int kHeaderTag = 32000;  // window headers (point to point; MPI_TAG_UB >= 32767)
constexpr int kDataTag = 32001;    // window events
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
  MPI_Request req;
  Check(MPI_Iallreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm_, &req), "MPI_Iallreduce(min)");
  WaitRequest(req, rank_, Others(), "MPI_Allreduce(min)");
  return out;
}

uint64_t MpiTransport::AllreduceSum(uint64_t local) {
  unsigned long long in = local, out = 0;
  MPI_Request req;
  Check(MPI_Iallreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm_, &req), "MPI_Iallreduce(sum)");
  WaitRequest(req, rank_, Others(), "MPI_Allreduce(sum)");
  return out;
}

std::vector<Bytes> MpiTransport::Exchange(const std::vector<Bytes>& outgoing) {
  MOEFAB_CHECK(outgoing.size() == size_, "Exchange needs one buffer per rank");
  std::vector<int> send_counts(size_), recv_counts(size_);
  for (RankId r = 0; r < size_; ++r) {
    MOEFAB_CHECK(outgoing[r].size() < (1ULL << 31), "exchange buffer too large");
    send_counts[r] = static_cast<int>(outgoing[r].size());
  }
  MPI_Request req;
  Check(MPI_Ialltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm_, &req), "MPI_Ialltoall");
  WaitRequest(req, rank_, Others(), "MPI_Alltoall");
  return Alltoallv(outgoing, send_counts, recv_counts);
}

void MpiTransport::StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) {
  MOEFAB_CHECK(outgoing.size() == size_, "window exchange needs one buffer per rank");
  MOEFAB_CHECK(window_out_ == nullptr, "a window exchange is already in flight");
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
  // One header to and from each peer, point to point: a late peer is then known by rank.
  recv_headers_[rank_] = send_headers_[rank_];
  requests_.assign(2 * size_, MPI_REQUEST_NULL);
  for (RankId r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    Check(MPI_Irecv(&recv_headers_[r], sizeof(Header), MPI_BYTE, static_cast<int>(r), kHeaderTag, comm_,
                    &requests_[2 * r]),
          "MPI_Irecv(window header)");
    Check(MPI_Isend(&send_headers_[r], sizeof(Header), MPI_BYTE, static_cast<int>(r), kHeaderTag, comm_,
                    &requests_[2 * r + 1]),
          "MPI_Isend(window header)");
  }
}

bool MpiTransport::WindowReady() {
  if (!window_ready_) {
    int done = 0;
    Check(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE),
          "MPI_Testall(window headers)");
    window_ready_ = done != 0;
  }
  return window_ready_;
}

void MpiTransport::WaitWindow() {
  if (!window_ready_) WaitPeers(requests_, "the window exchange");
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
  // The events, point to point between the pairs that have some for each other.
  window_in_.assign(size_, Bytes());
  if (total > 0) {
    requests_.assign(2 * size_, MPI_REQUEST_NULL);
    for (RankId r = 0; r < size_; ++r) {
      if (r == rank_) {
        window_in_[r] = (*window_out_)[r];
        continue;
      }
      if (recv_counts[r] > 0) {
        window_in_[r].resize(static_cast<size_t>(recv_counts[r]));
        Check(MPI_Irecv(window_in_[r].data(), recv_counts[r], MPI_BYTE, static_cast<int>(r), kDataTag, comm_,
                        &requests_[2 * r]),
              "MPI_Irecv(window events)");
      }
      if (send_counts[r] > 0)
        Check(MPI_Isend((*window_out_)[r].data(), send_counts[r], MPI_BYTE, static_cast<int>(r), kDataTag, comm_,
                        &requests_[2 * r + 1]),
              "MPI_Isend(window events)");
    }
    WaitPeers(requests_, "the window exchange's events");
  }
  incoming.assign(window_in_.begin(), window_in_.end());
  window_out_ = nullptr;
  window_ready_ = false;
  return all;
}

std::string MpiTransport::Others() const {
  return size_ == 2 ? "rank " + std::to_string(1 - rank_) : "another rank";
}

void MpiTransport::WaitPeers(std::vector<MPI_Request>& requests, const char* what) {
  PeerWait wait;
  for (;;) {
    int done = 0;
    Check(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (done) return;
    if (wait.TimedOut()) {
      std::string who;  // the peers whose bytes have not arrived (completed requests are null)
      for (RankId r = 0; r < size_; ++r)
        if (r != rank_ && requests[2 * r] != MPI_REQUEST_NULL)
          who += (who.empty() ? "rank " : ", rank ") + std::to_string(r);
      PeerTimeoutAbort(rank_, who.empty() ? Others() : who, what);
    }
    wait.Pause();
  }
}

std::vector<Bytes> MpiTransport::Alltoallv(const std::vector<Bytes>& outgoing, const std::vector<int>& send_counts,
                                           const std::vector<int>& recv_counts) {
  const auto send_displs = Displacements(send_counts);
  const auto recv_displs = Displacements(recv_counts);
  Bytes send_buf;
  send_buf.reserve(static_cast<size_t>(std::accumulate(send_counts.begin(), send_counts.end(), 0)));
  for (const auto& b : outgoing) send_buf.insert(send_buf.end(), b.begin(), b.end());
  Bytes recv_buf(static_cast<size_t>(std::accumulate(recv_counts.begin(), recv_counts.end(), 0)));
  MPI_Request req;
  Check(MPI_Ialltoallv(send_buf.data(), send_counts.data(), send_displs.data(), MPI_BYTE, recv_buf.data(),
                       recv_counts.data(), recv_displs.data(), MPI_BYTE, comm_, &req),
        "MPI_Ialltoallv");
  WaitRequest(req, rank_, Others(), "MPI_Alltoallv");
  std::vector<Bytes> incoming(size_);
  for (RankId r = 0; r < size_; ++r)
    incoming[r].assign(recv_buf.begin() + recv_displs[r], recv_buf.begin() + recv_displs[r] + recv_counts[r]);
  return incoming;
}

std::vector<Bytes> MpiTransport::GatherToRoot(const Bytes& local) {
  MOEFAB_CHECK(local.size() < (1ULL << 31), "gather buffer too large");
  int count = static_cast<int>(local.size());
  std::vector<int> counts(rank_ == 0 ? size_ : 0);
  MPI_Request req;
  Check(MPI_Igather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_, &req), "MPI_Igather");
  WaitRequest(req, rank_, Others(), "MPI_Gather");
  std::vector<int> displs;
  Bytes all;
  if (rank_ == 0) {
    displs = Displacements(counts);
    all.resize(static_cast<size_t>(std::accumulate(counts.begin(), counts.end(), 0)));
  }
  Check(MPI_Igatherv(local.data(), count, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0, comm_,
                     &req),
        "MPI_Igatherv");
  WaitRequest(req, rank_, Others(), "MPI_Gatherv");
  std::vector<Bytes> out;
  if (rank_ == 0) {
    out.resize(size_);
    for (RankId r = 0; r < size_; ++r) out[r].assign(all.begin() + displs[r], all.begin() + displs[r] + counts[r]);
  }
  return out;
}

Bytes MpiTransport::Broadcast(const Bytes& from_root) {
  unsigned long long n = from_root.size();
  MPI_Request req;
  Check(MPI_Ibcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm_, &req), "MPI_Ibcast(size)");
  WaitRequest(req, rank_, "rank 0", "MPI_Bcast");
  Bytes out = rank_ == 0 ? from_root : Bytes(n);
  MOEFAB_CHECK(n < (1ULL << 31), "broadcast buffer too large");
  Check(MPI_Ibcast(out.data(), static_cast<int>(n), MPI_BYTE, 0, comm_, &req), "MPI_Ibcast");
  WaitRequest(req, rank_, "rank 0", "MPI_Bcast");
  return out;
}

}  // namespace moefab
