#include "runtime/transport/shm_transport.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "core/error.h"

namespace moefab {

namespace {

constexpr size_t kLine = 64;

size_t RoundUp(size_t n) { return (n + kLine - 1) / kLine * kLine; }

void Check(int rc, const char* what) {
  MOEFAB_CHECK(rc == MPI_SUCCESS, "MPI call " << what << " failed with code " << rc);
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Futex on a word of the shared window (not FUTEX_PRIVATE: the word is shared by processes).
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  timespec timeout{0, 1'000'000};  // 1 ms: a missed wake-up costs at most this
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &timeout, nullptr, 0);
}
void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

// Window counts wrap; "a reached b" holds within half the range.
bool Reached(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

constexpr uint64_t kOverflow = uint64_t{1} << 63;  // a byte count with this bit went by MPI

}  // namespace

struct ShmTransport::Control {
  alignas(kLine) std::atomic<uint32_t> window;  // windows this rank has published
  std::atomic<uint32_t> sleepers;               // ranks in a futex wait on `window`
};
static_assert(sizeof(std::atomic<uint32_t>) == 4 && std::atomic<uint32_t>::is_always_lock_free);

bool ShmTransport::OnOneNode(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  Check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int node_size = 0, size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_size(comm, &size);
  MPI_Comm_free(&node);
  // Every rank must agree (a rank alone on its node sees 1 == 1 only if the job has 1 rank).
  int all = node_size == size ? 1 : 0, agreed = 0;
  Check(MPI_Allreduce(&all, &agreed, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce(one node)");
  return agreed == 1;
}

ShmTransport::ShmTransport(MPI_Comm comm, const ShmOptions& options)
    : mpi_(comm), comm_(comm), options_(options), base_(mpi_.size(), nullptr) {
  MOEFAB_CHECK(OnOneNode(comm), "the shm transport needs every rank on one node");
  const RankId n = size();
  side_bytes_ = RoundUp(sizeof(WindowSummary) + n * sizeof(uint64_t));
  const size_t part = RoundUp(sizeof(Control)) + 2 * side_bytes_ + 2 * n * options_.capacity_bytes;
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");  // each part near its own rank
  void* mine = nullptr;
  Check(MPI_Win_allocate_shared(static_cast<MPI_Aint>(part), 1, info, comm_, &mine, &win_),
        "MPI_Win_allocate_shared");
  MPI_Info_free(&info);
  for (RankId r = 0; r < n; ++r) {
    MPI_Aint bytes = 0;
    int unit = 0;
    void* ptr = nullptr;
    Check(MPI_Win_shared_query(win_, static_cast<int>(r), &bytes, &unit, &ptr), "MPI_Win_shared_query");
    base_[r] = static_cast<std::byte*>(ptr);
  }
  Control* c = new (base_[rank()]) Control;
  c->window.store(0, std::memory_order_relaxed);
  c->sleepers.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  MPI_Barrier(comm_);  // every control line is initialised before anyone reads it
}

ShmTransport::~ShmTransport() {
  if (!overflow_requests_.empty())
    MPI_Waitall(static_cast<int>(overflow_requests_.size()), overflow_requests_.data(), MPI_STATUSES_IGNORE);
  MPI_Barrier(comm_);  // nobody reads a part after its owner frees it
  MPI_Win_free(&win_);
}

ShmTransport::Control& ShmTransport::ControlOf(RankId r) const {
  return *std::launder(reinterpret_cast<Control*>(base_[r]));
}

WindowSummary* ShmTransport::SummaryOf(RankId r, uint32_t parity) const {
  return reinterpret_cast<WindowSummary*>(base_[r] + RoundUp(sizeof(Control)) + parity * side_bytes_);
}

uint64_t* ShmTransport::BytesOf(RankId r, uint32_t parity) const {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<std::byte*>(SummaryOf(r, parity)) + sizeof(WindowSummary));
}

std::byte* ShmTransport::BufferOf(RankId sender, RankId receiver, uint32_t parity) const {
  return base_[sender] + RoundUp(sizeof(Control)) + 2 * side_bytes_ +
         (static_cast<size_t>(parity) * size() + receiver) * options_.capacity_bytes;
}

void ShmTransport::StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) {
  MOEFAB_CHECK(outgoing.size() == size(), "window exchange needs one buffer per rank");
  // The previous window's oversized sends are complete before their buffers go.
  if (!overflow_requests_.empty()) {
    Check(MPI_Waitall(static_cast<int>(overflow_requests_.size()), overflow_requests_.data(),
                      MPI_STATUSES_IGNORE),
          "MPI_Waitall");
    overflow_requests_.clear();
    overflow_out_.clear();
  }
  const uint32_t w = ++window_;
  const uint32_t parity = w & 1;
  uint64_t* counts = BytesOf(rank(), parity);
  for (RankId r = 0; r < size(); ++r) {
    const Bytes& b = outgoing[r];
    if (r == rank() || b.size() <= options_.capacity_bytes) {
      if (r != rank() && !b.empty()) std::memcpy(BufferOf(rank(), r, parity), b.data(), b.size());
      counts[r] = r == rank() ? 0 : b.size();
      continue;
    }
    counts[r] = b.size() | kOverflow;
    overflow_out_.push_back(b);
    overflow_requests_.emplace_back();
    MOEFAB_CHECK(b.size() < (1ULL << 31), "exchange buffer too large");
    Check(MPI_Isend(overflow_out_.back().data(), static_cast<int>(b.size()), MPI_BYTE, static_cast<int>(r),
                    static_cast<int>(w & 0x3FFF), comm_, &overflow_requests_.back()),
          "MPI_Isend");
  }
  *SummaryOf(rank(), parity) = mine;
  Control& c = ControlOf(rank());
  c.window.store(w, std::memory_order_seq_cst);  // publishes the counts, summary and bytes
  if (c.sleepers.load(std::memory_order_seq_cst) != 0) FutexWakeAll(&c.window);
  ready_ = false;
}

bool ShmTransport::PeerReady(RankId r) const {
  return Reached(ControlOf(r).window.load(std::memory_order_acquire), window_);
}

bool ShmTransport::WindowReady() {
  if (ready_) return true;
  for (RankId r = 0; r < size(); ++r)
    if (r != rank() && !PeerReady(r)) return false;
  ready_ = true;
  return true;
}

void ShmTransport::WaitWindow() {
  for (uint32_t i = 0; i < options_.spin_iterations; ++i) {
    if (WindowReady()) return;
    CpuRelax();
  }
  for (uint32_t i = 0; i < options_.yield_iterations; ++i) {
    if (WindowReady()) return;
    sched_yield();
  }
  for (RankId r = 0; r < size(); ++r) {
    if (r == rank()) continue;
    Control& c = ControlOf(r);
    while (!PeerReady(r)) {
      c.sleepers.fetch_add(1, std::memory_order_seq_cst);
      const uint32_t seen = c.window.load(std::memory_order_seq_cst);
      if (!Reached(seen, window_)) FutexWait(&c.window, seen);
      c.sleepers.fetch_sub(1, std::memory_order_seq_cst);
    }
  }
  ready_ = true;
}

WindowSummary ShmTransport::FinishWindow(std::vector<Bytes>& incoming) {
  WaitWindow();
  const uint32_t parity = window_ & 1;
  incoming.resize(size());
  WindowSummary all;
  for (RankId r = 0; r < size(); ++r) {
    all = Combine(all, *SummaryOf(r, parity));
    Bytes& in = incoming[r];
    in.clear();
    if (r == rank()) continue;
    const uint64_t count = BytesOf(r, parity)[rank()];
    if (count & kOverflow) {
      in.resize(count & ~kOverflow);
      Check(MPI_Recv(in.data(), static_cast<int>(in.size()), MPI_BYTE, static_cast<int>(r),
                     static_cast<int>(window_ & 0x3FFF), comm_, MPI_STATUS_IGNORE),
            "MPI_Recv");
    } else if (count > 0) {
      const std::byte* from = BufferOf(r, rank(), parity);
      in.assign(from, from + count);
    }
  }
  ready_ = false;
  return all;
}

}  // namespace moefab
