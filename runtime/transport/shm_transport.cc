#include "runtime/transport/shm_transport.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "core/error.h"
#include "runtime/transport/peer_wait.h"

namespace moefab {

namespace {

constexpr size_t kLine = 64;

size_t RoundUp(size_t n) {
  return (n + kLine - 1) / kLine * kLine;
}

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

constexpr uint64_t kOverflow = uint64_t{1} << 63;  // a byte count with this bit went by MPI
constexpr uint64_t kWrap = ~uint64_t{0};           // ring record length: continue at the start

}  // namespace

struct ShmTransport::Control {
  std::atomic<uint32_t> sleepers;  // ranks in a futex wait on one of this rank's window words
};
// A side (one window parity) of a rank's published window state starts with its window word,
// so that a peer waiting on it finds the summary and the counts in the same cache line.
constexpr size_t kSideHeader = 8;
struct ShmTransport::State {      // a RankClock word by word, and the publication count
  std::atomic<uint64_t> version;  // publications so far: what waiting peers spin on
  std::atomic<uint64_t> done, activity, sent, received, count, idle;
};
struct ShmTransport::Bell {
  std::atomic<uint32_t> rings;     // bumped by a peer that published while this rank sleeps
  std::atomic<uint32_t> sleeping;  // this rank is (about to be) in a futex wait on `rings`
};
static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free);

bool ShmTransport::OnOneNode(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  Check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int node_size = 0, size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_size(comm, &size);
  MPI_Comm_free(&node);
  int all = node_size == size ? 1 : 0, agreed = 0;
  Check(MPI_Allreduce(&all, &agreed, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce(one node)");
  return agreed == 1;
}

ShmTransport::ShmTransport(MPI_Comm comm, const ShmOptions& options)
    : mpi_(comm), comm_(comm), options_(options), base_(mpi_.size(), nullptr) {
  MOEFAB_CHECK(OnOneNode(comm), "the shm transport needs every rank on one node");
  const RankId n = size();
  // More ranks than cores: a spinning rank would hold the core another rank needs to make
  // the progress it waits for. Yield at once instead.
  if (n > static_cast<RankId>(sysconf(_SC_NPROCESSORS_ONLN))) options_.spin_iterations = 0;
  MOEFAB_CHECK(options_.ring_bytes % 8 == 0 && options_.ring_bytes >= 4096,
               "ring of " << options_.ring_bytes << " bytes");
  Layout& l = layout_;
  size_t at = 0;
  l.control = at, at += RoundUp(sizeof(Control));
  l.state = at, at += RoundUp(sizeof(State));
  l.bell = at, at += RoundUp(sizeof(Bell));
  l.clocks = at, at += RoundUp(n * sizeof(uint64_t));
  l.tails = at, at += n * kLine;
  l.heads = at, at += n * kLine;
  l.side_bytes = RoundUp(kSideHeader + sizeof(WindowSummary) + n * sizeof(uint64_t));
  l.sides = at, at += 2 * l.side_bytes;
  l.buffers = at, at += 2 * n * options_.capacity_bytes;
  l.rings = at, at += n * options_.ring_bytes;
  l.total = at;
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");  // each share near its own rank
  void* mine = nullptr;
  Check(MPI_Win_allocate_shared(static_cast<MPI_Aint>(l.total), 1, info, comm_, &mine, &win_),
        "MPI_Win_allocate_shared");
  MPI_Info_free(&info);
  for (RankId r = 0; r < n; ++r) {
    MPI_Aint bytes = 0;
    int unit = 0;
    void* ptr = nullptr;
    Check(MPI_Win_shared_query(win_, static_cast<int>(r), &bytes, &unit, &ptr), "MPI_Win_shared_query");
    base_[r] = static_cast<std::byte*>(ptr);
  }
  // This rank's share starts zeroed: nothing published, every ring empty.
  std::memset(base_[rank()], 0, l.buffers);
  new (base_[rank()] + l.control) Control{};
  new (base_[rank()] + l.state) State{};
  new (base_[rank()] + l.bell) Bell{};
  tail_.assign(n, 0);
  head_.assign(n, 0);
  peeked_.assign(n, 0);
  published_clock_.assign(n, 0);
  seen_version_.assign(n, 0);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  MPI_Barrier(comm_);  // every share is initialised before anyone reads it
}

ShmTransport::~ShmTransport() {
  if (!overflow_requests_.empty())
    MPI_Waitall(static_cast<int>(overflow_requests_.size()), overflow_requests_.data(), MPI_STATUSES_IGNORE);
  MPI_Barrier(comm_);  // nobody reads a share after its owner frees it
  MPI_Win_free(&win_);
}

// ---------------------------------------------------------------------------------------------
// Where things are.

ShmTransport::Control& ShmTransport::ControlOf(RankId r) const {
  return *std::launder(reinterpret_cast<Control*>(base_[r] + layout_.control));
}
ShmTransport::State& ShmTransport::StateOf(RankId r) const {
  return *std::launder(reinterpret_cast<State*>(base_[r] + layout_.state));
}
ShmTransport::Bell& ShmTransport::BellOf(RankId r) const {
  return *std::launder(reinterpret_cast<Bell*>(base_[r] + layout_.bell));
}
std::atomic<uint64_t>& ShmTransport::ClockOf(RankId from, RankId to) const {
  return reinterpret_cast<std::atomic<uint64_t>*>(base_[from] + layout_.clocks)[to];
}
std::atomic<uint64_t>& ShmTransport::TailOf(RankId from, RankId to) const {
  return *reinterpret_cast<std::atomic<uint64_t>*>(base_[from] + layout_.tails + to * kLine);
}
std::atomic<uint64_t>& ShmTransport::HeadOf(RankId from, RankId to) const {
  return *reinterpret_cast<std::atomic<uint64_t>*>(base_[to] + layout_.heads + from * kLine);
}
std::byte* ShmTransport::RingOf(RankId from, RankId to) const {
  return base_[from] + layout_.rings + to * options_.ring_bytes;
}
std::atomic<uint32_t>& ShmTransport::WindowWordOf(RankId r, uint32_t parity) const {
  return *reinterpret_cast<std::atomic<uint32_t>*>(base_[r] + layout_.sides + parity * layout_.side_bytes);
}
WindowSummary* ShmTransport::SummaryOf(RankId r, uint32_t parity) const {
  return reinterpret_cast<WindowSummary*>(base_[r] + layout_.sides + parity * layout_.side_bytes + kSideHeader);
}
uint64_t* ShmTransport::BytesOf(RankId r, uint32_t parity) const {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<std::byte*>(SummaryOf(r, parity)) + sizeof(WindowSummary));
}
std::byte* ShmTransport::BufferOf(RankId sender, RankId receiver, uint32_t parity) const {
  return base_[sender] + layout_.buffers + (static_cast<size_t>(parity) * size() + receiver) * options_.capacity_bytes;
}

// ---------------------------------------------------------------------------------------------
// The window exchange.

void ShmTransport::StartWindow(std::vector<Bytes>& outgoing, const WindowSummary& mine) {
  MOEFAB_CHECK(outgoing.size() == size(), "window exchange needs one buffer per rank");
  // The previous window's oversized sends are complete before their buffers go.
  if (!overflow_requests_.empty()) {
    Check(MPI_Waitall(static_cast<int>(overflow_requests_.size()), overflow_requests_.data(), MPI_STATUSES_IGNORE),
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
  std::atomic<uint32_t>& word = WindowWordOf(rank(), parity);
  word.store(w, std::memory_order_seq_cst);  // publishes the counts, summary and bytes
  if (ControlOf(rank()).sleepers.load(std::memory_order_seq_cst) != 0) FutexWakeAll(&word);
  ready_ = false;
}

bool ShmTransport::PeerReady(RankId r) const {
  return WindowWordOf(r, window_ & 1).load(std::memory_order_acquire) == window_;
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
    std::atomic<uint32_t>& word = WindowWordOf(r, window_ & 1);
    PeerWait wait;  // only its clock: the futex sleeps
    while (!PeerReady(r)) {
      if (wait.TimedOut()) PeerTimeoutAbort(rank(), "rank " + std::to_string(r), "the window exchange");
      c.sleepers.fetch_add(1, std::memory_order_seq_cst);
      const uint32_t seen = word.load(std::memory_order_seq_cst);
      if (seen != window_) FutexWait(&word, seen);
      c.sleepers.fetch_sub(1, std::memory_order_seq_cst);
    }
  }
  ready_ = true;
}

WindowSummary ShmTransport::FinishWindow(std::vector<std::span<const std::byte>>& incoming) {
  WaitWindow();
  const uint32_t parity = window_ & 1;
  incoming.assign(size(), {});
  overflow_in_.resize(size());
  WindowSummary all;
  others_ = WindowSummary{};
  for (RankId r = 0; r < size(); ++r) {
    all = Combine(all, *SummaryOf(r, parity));
    if (r != rank()) others_ = Combine(others_, *SummaryOf(r, parity));
    if (r == rank()) continue;
    const uint64_t count = BytesOf(r, parity)[rank()];
    if (count & kOverflow) {
      Bytes& in = overflow_in_[r];
      in.resize(count & ~kOverflow);
      Check(MPI_Recv(in.data(), static_cast<int>(in.size()), MPI_BYTE, static_cast<int>(r),
                     static_cast<int>(window_ & 0x3FFF), comm_, MPI_STATUS_IGNORE),
            "MPI_Recv");
      incoming[r] = in;
    } else if (count > 0) {
      // Read in place: the sender writes this parity again only two windows later. Ask for
      // every line at once: the misses overlap instead of following one another.
      const std::byte* data = BufferOf(r, rank(), parity);
      for (uint64_t at = 0; at < count && at < 64 * kLine; at += kLine) __builtin_prefetch(data + at);
      incoming[r] = {data, count};
    }
  }
  ready_ = false;
  return all;
}

// ---------------------------------------------------------------------------------------------
// Asynchronous channels.

bool ShmTransport::Send(RankId peer, std::span<const std::byte> bytes) {
  MOEFAB_CHECK(peer != rank() && peer < size(), "Send to rank " << peer);
  const uint64_t cap = options_.ring_bytes;
  const uint64_t record = sizeof(uint64_t) + (bytes.size() + 7) / 8 * 8;
  MOEFAB_CHECK(record <= cap / 2, "a batch of " << bytes.size() << " bytes for a ring of " << cap);
  uint64_t tail = tail_[peer];
  const uint64_t head = HeadOf(rank(), peer).load(std::memory_order_acquire);
  const uint64_t to_end = cap - tail % cap;
  const uint64_t skip = to_end < record ? to_end : 0;  // the record does not fit before the end
  if (tail + skip + record - head > cap) return false;
  std::byte* ring = RingOf(rank(), peer);
  if (skip) {
    if (to_end >= sizeof(uint64_t)) std::memcpy(ring + tail % cap, &kWrap, sizeof(uint64_t));
    tail += skip;
  }
  const uint64_t length = bytes.size();
  std::memcpy(ring + tail % cap, &length, sizeof(uint64_t));
  if (!bytes.empty()) std::memcpy(ring + tail % cap + sizeof(uint64_t), bytes.data(), bytes.size());
  tail += record;
  tail_[peer] = tail;
  TailOf(rank(), peer).store(tail, std::memory_order_release);
  return true;
}

void ShmTransport::Publish(const std::vector<Tick>& clock_to, const RankClock& mine) {
  static_assert(sizeof(State) <= kLine, "what a peer reads is one cache line");
  State& s = StateOf(rank());
  bool news = mine.done != s.done.load(std::memory_order_relaxed) ||
              mine.activity != s.activity.load(std::memory_order_relaxed) ||
              mine.idle != s.idle.load(std::memory_order_relaxed) ||
              mine.count != s.count.load(std::memory_order_relaxed);
  for (RankId r = 0; r < size(); ++r) {
    if (r == rank() || clock_to[r] == published_clock_[r]) continue;
    ClockOf(rank(), r).store(clock_to[r], std::memory_order_release);  // after the ring's tail
    published_clock_[r] = clock_to[r];
    news = true;
  }
  if (!news) return;
  s.count.store(mine.count, std::memory_order_relaxed);
  s.sent.store(mine.sent, std::memory_order_relaxed);
  s.received.store(mine.received, std::memory_order_relaxed);
  s.idle.store(mine.idle, std::memory_order_relaxed);
  s.activity.store(mine.activity, std::memory_order_relaxed);
  s.done.store(mine.done, std::memory_order_release);  // after the clocks
  // The version last, sequentially consistent: it releases everything above (and the rings'
  // tails before), and a peer that announced a sleep either sees it or is seen sleeping here.
  s.version.store(s.version.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
  for (RankId r = 0; r < size(); ++r)
    if (r != rank() && BellOf(r).sleeping.load(std::memory_order_seq_cst)) Ring(r);
}

void ShmTransport::Ring(RankId peer) {
  Bell& b = BellOf(peer);
  b.rings.fetch_add(1, std::memory_order_seq_cst);
  FutexWakeAll(&b.rings);
}

void ShmTransport::Read(RankId peer, RankClock& state, Tick& clock_to_me) {
  const State& s = StateOf(peer);
  const uint64_t version = s.version.load(std::memory_order_acquire);
  if (version != seen_version_[peer]) quiet_ = false;
  seen_version_[peer] = version;
  state.done = s.done.load(std::memory_order_acquire);  // before the clock
  state.activity = s.activity.load(std::memory_order_relaxed);
  state.idle = s.idle.load(std::memory_order_relaxed);
  state.sent = s.sent.load(std::memory_order_relaxed);
  state.received = s.received.load(std::memory_order_relaxed);
  state.count = s.count.load(std::memory_order_relaxed);
  clock_to_me = ClockOf(peer, rank()).load(std::memory_order_acquire);  // before the ring's tail
}

std::span<const std::byte> ShmTransport::Peek(RankId peer) {
  const uint64_t cap = options_.ring_bytes;
  uint64_t head = head_[peer];
  const uint64_t tail = TailOf(peer, rank()).load(std::memory_order_acquire);
  const std::byte* ring = RingOf(peer, rank());
  while (head != tail) {
    const uint64_t to_end = cap - head % cap;
    uint64_t length = kWrap;
    if (to_end >= sizeof(uint64_t)) std::memcpy(&length, ring + head % cap, sizeof(uint64_t));
    if (length == kWrap) {
      head += to_end;
      continue;
    }
    head_[peer] = head;
    peeked_[peer] = head + sizeof(uint64_t) + (length + 7) / 8 * 8;
    return {ring + head % cap + sizeof(uint64_t), length};
  }
  head_[peer] = head;
  peeked_[peer] = head;
  return {};
}

void ShmTransport::Consume(RankId peer) {
  head_[peer] = peeked_[peer];
  HeadOf(peer, rank()).store(head_[peer], std::memory_order_release);
}

void ShmTransport::WaitForPeers() {
  const auto news = [&] {
    for (RankId r = 0; r < size(); ++r)
      if (r != rank() && StateOf(r).version.load(std::memory_order_acquire) != seen_version_[r]) return true;
    return false;
  };
  for (uint32_t i = 0; i < options_.spin_iterations; ++i) {
    if (news()) return;
    CpuRelax();
  }
  for (uint32_t i = 0; i < options_.yield_iterations; ++i) {
    if (news()) return;
    sched_yield();
  }
  Bell& me = BellOf(rank());
  const uint32_t seen = me.rings.load(std::memory_order_seq_cst);
  me.sleeping.store(1, std::memory_order_seq_cst);
  // A peer publishing from now on sees `sleeping` and rings; what it published before, news() sees.
  if (!news()) FutexWait(&me.rings, seen);
  me.sleeping.store(0, std::memory_order_seq_cst);
  if (news()) return;
  // Nothing new from any peer since the last Read: the quiet streak starts here, or has lasted.
  if (!quiet_) {
    quiet_ = true;
    quiet_wait_.Restart();
  } else if (quiet_wait_.TimedOut()) {
    std::string who;
    for (RankId r = 0; r < size(); ++r)
      if (r != rank()) who += (who.empty() ? "rank " : ", rank ") + std::to_string(r);
    PeerTimeoutAbort(rank(), who, "the other ranks' clocks (asynchronous protocol)");
  }
}

}  // namespace moefab
