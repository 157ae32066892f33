#include "fabric/driver.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <utility>

#include "core/error.h"

namespace moefab::fabric {

namespace {
bool TickAfter(const auto& x, const auto& y) {
  return x.tick > y.tick;
}  // min-heap order
}  // namespace

SequentialDriver::SequentialDriver(Network& network)
    : network_(network), lookahead_ps_(network.MinCrossNodeDelayPs()), num_nodes_(network.num_nodes()) {
  MOEFAB_CHECK(network.num_nodes() < (1u << 24), "driver keys hold 2^24 nodes");
  node_bits_ = std::max(1u, static_cast<unsigned>(std::bit_width(network.num_nodes() - 1u)));
  hash_.assign(std::size_t{1} << (64 - hash_shift_), TickRef{0, kNone});
  credit_seq_.assign(network.num_nodes(), 0);
  for (NodeId n = 0; n < network.num_nodes(); ++n) {
    for (NetEvent& e : network.InitialEvents(n)) Schedule(std::move(e));
  }
}

void SequentialDriver::FailSchedule(const NetEvent& e) const {
  MOEFAB_CHECK(e.tick >= now_, "event at " << e.tick << " scheduled in the past (now " << now_ << ")");
  MOEFAB_CHECK(e.node < num_nodes_ && e.origin < num_nodes_,
               "event from node " << e.origin << " to node " << e.node << " of " << num_nodes_);
  MOEFAB_CHECK(static_cast<unsigned>(e.kind) < 16, "event kind " << static_cast<int>(e.kind));
  // The PDES contract: an event for another node is at least one lookahead ahead.
  MOEFAB_CHECK(false, "event kind " << static_cast<int>(e.kind) << " from node " << e.origin << " to node " << e.node
                                    << " at " << e.tick << " is closer than the lookahead " << lookahead_ps_
                                    << " ps to now " << now_);
  std::abort();
}

void SequentialDriver::FailPush(Tick tick, NetEventKind kind, NodeId node, NodeId origin) const {
  NetEvent e;
  e.tick = tick;
  e.kind = kind;
  e.node = node;
  e.origin = origin;
  FailSchedule(e);
}

std::uint32_t SequentialDriver::NewSlab() {
  if (slab_size_ % kChunk == 0) chunks_.push_back(std::make_unique<NetEvent[]>(kChunk));
  return slab_size_++;
}

void SequentialDriver::Deliver(DeliveredMessage m) {
  if (on_deliver_) on_deliver_(m);
}

void SequentialDriver::ScheduleReserved(NetEvent&& e) {
  // A deferred credit: made by e.origin one lookahead or more before e.tick, queued now (it
  // may be closer than the lookahead) at its place among the origin's credits of that tick.
  MOEFAB_CHECK(e.kind == NetEventKind::kCredit && e.tick > now_ && e.tick > cur_tick_ && e.node < num_nodes_ &&
                   e.origin < num_nodes_ && e.seq < credit_seq_[e.origin],
               "reserved event kind " << static_cast<int>(e.kind) << " at " << e.tick << " (now " << now_
                                      << ") from node " << e.origin << " seq " << e.seq);
  const std::uint32_t i = NewSignal();
  signals_[i] = Signal{e.node, e.origin, e.port, e.vc, e.value, e.epoch, e.kind, e.seq};
  const Entry entry{(static_cast<std::uint32_t>(e.kind) << node_bits_) | e.origin, i | kSignalBit};
  std::vector<Entry>& bucket = buckets_[BucketFor(e.tick)];
  auto at = std::find_if(bucket.begin(), bucket.end(), [&](const Entry& x) {
    return x.key == entry.key && signals_[x.slot & ~kSignalBit].seq > e.seq;
  });
  bucket.insert(at, entry);
  if (++pending_ > peak_pending_) peak_pending_ = pending_;
}

void SequentialDriver::InsertCurrent(Entry e) {
  // After every queued event of a key <= e.key: same (kind, origin) means an earlier seq.
  if (cur_pos_ == cur_.size() || cur_.back().key <= e.key) {
    cur_.push_back(e);
    return;
  }
  const auto at = std::upper_bound(cur_.begin() + static_cast<std::ptrdiff_t>(cur_pos_), cur_.end(), e.key,
                                   [](std::uint32_t k, const Entry& x) { return k < x.key; });
  cur_.insert(at, e);
}

std::uint32_t SequentialDriver::OpenBucket(Tick tick, std::size_t hash_at) {
  std::uint32_t b;
  if (!free_buckets_.empty()) {
    b = free_buckets_.back();
    free_buckets_.pop_back();
  } else {
    b = static_cast<std::uint32_t>(buckets_.size());
    buckets_.emplace_back();
  }
  hash_[hash_at] = TickRef{tick, b};
  if (++hash_used_ * 2 > hash_.size()) HashGrow();
  ticks_.push_back(TickRef{tick, b});
  std::push_heap(ticks_.begin(), ticks_.end(), TickAfter<TickRef, TickRef>);
  return b;
}

void SequentialDriver::HashGrow() {
  std::vector<TickRef> old(hash_.size() * 2, TickRef{0, kNone});
  old.swap(hash_);
  --hash_shift_;
  const std::size_t mask = hash_.size() - 1;
  for (const TickRef& h : old) {
    if (h.bucket == kNone) continue;
    std::size_t i = HashIndex(h.tick);
    while (hash_[i].bucket != kNone) i = (i + 1) & mask;
    hash_[i] = h;
  }
}

void SequentialDriver::HashErase(Tick tick) {
  const std::size_t mask = hash_.size() - 1;
  std::size_t i = HashIndex(tick);
  while (hash_[i].bucket == kNone || hash_[i].tick != tick) i = (i + 1) & mask;
  // Backward-shift deletion keeps every probe chain unbroken.
  for (std::size_t j = (i + 1) & mask; hash_[j].bucket != kNone; j = (j + 1) & mask) {
    const std::size_t home = HashIndex(hash_[j].tick);
    if (((j - home) & mask) >= ((j - i) & mask)) {  // home not in (i, j]: j may fill the hole
      hash_[i] = hash_[j];
      i = j;
    }
  }
  hash_[i].bucket = kNone;
  --hash_used_;
}

void SequentialDriver::NextTick() {
  std::pop_heap(ticks_.begin(), ticks_.end(), TickAfter<TickRef, TickRef>);
  const TickRef next = ticks_.back();
  ticks_.pop_back();
  HashErase(next.tick);
  cur_.clear();
  cur_pos_ = 0;
  cur_.swap(buckets_[next.bucket]);  // the bucket keeps cur_'s old capacity
  free_buckets_.push_back(next.bucket);
  cur_tick_ = next.tick;
  SortCurrent();
}

void SequentialDriver::SortCurrent() {
  const std::size_t n = cur_.size();
  if (n <= 16) {
    // Stable insertion sort.
    for (std::size_t i = 1; i < n; ++i) {
      const Entry x = cur_[i];
      std::size_t j = i;
      while (j > 0 && cur_[j - 1].key > x.key) {
        cur_[j] = cur_[j - 1];
        --j;
      }
      cur_[j] = x;
    }
    return;
  }
  // Stable LSD radix sort on the 4 + node_bits_ key bits: 2 passes of at most 14-bit digits
  // (one histogram sweep for both), or std::stable_sort for wider keys.
  const unsigned bits = 4 + node_bits_;
  if (bits > 28 || n < (std::size_t{1} << (bits / 2))) {
    std::stable_sort(cur_.begin(), cur_.end(), [](const Entry& x, const Entry& y) { return x.key < y.key; });
    return;
  }
  const unsigned lo_bits = bits / 2;
  const std::uint32_t lo_mask = (1u << lo_bits) - 1;
  const std::uint32_t hi_size = 1u << (bits - lo_bits);
  radix_count_.assign(static_cast<std::size_t>(lo_mask + 1) + hi_size, 0);
  std::uint32_t* lo = radix_count_.data();
  std::uint32_t* hi = lo + lo_mask + 1;
  for (const Entry& x : cur_) {
    ++lo[x.key & lo_mask];
    ++hi[x.key >> lo_bits];
  }
  auto starts = [](std::uint32_t* count, std::uint32_t size) {  // counts -> first positions
    std::uint32_t sum = 0;
    for (std::uint32_t d = 0; d < size; ++d) {
      const std::uint32_t c = count[d];
      count[d] = sum;
      sum += c;
    }
  };
  starts(lo, lo_mask + 1);
  starts(hi, hi_size);
  sort_tmp_.resize(n);
  Entry* from = cur_.data();
  Entry* to = sort_tmp_.data();
  for (std::size_t i = 0; i < n; ++i) to[lo[from[i].key & lo_mask]++] = from[i];
  for (std::size_t i = 0; i < n; ++i) from[hi[to[i].key >> lo_bits]++] = to[i];
}

inline void SequentialDriver::HandleNext() {
  const Entry k = cur_[cur_pos_++];
  // A packet after this one was written long ago: start loading it now.
  if (cur_pos_ < cur_.size() && !(cur_[cur_pos_].slot & kSignalBit)) {
    const char* next = reinterpret_cast<const char*>(&Slot(cur_[cur_pos_].slot));
    __builtin_prefetch(next);
    __builtin_prefetch(next + 64);
  }
  --pending_;
  now_ = cur_tick_;
  ++events_;
  if (k.slot & kSignalBit) {
    // Freed before handling: the handler's own signals reuse the entry while it is hot.
    const std::uint32_t i = k.slot & ~kSignalBit;
    const Signal& g = signals_[i];
    scratch_.tick = cur_tick_;
    scratch_.kind = g.kind;
    scratch_.node = g.node;
    scratch_.origin = g.origin;
    scratch_.port = g.port;
    scratch_.vc = g.vc;
    scratch_.value = g.value;
    scratch_.epoch = g.epoch;
    free_signals_.push_back(i);
    network_.Handle(scratch_, *this);
    return;
  }
  NetEvent& e = Slot(k.slot);  // stable while the handler schedules more
  network_.Handle(e, *this);
  e.data.reset();
  free_.push_back(k.slot);
}

void SequentialDriver::RunUntil(Tick end_ps) {
  while (pending_ != 0) {
    if (cur_pos_ == cur_.size()) {
      if (ticks_.front().tick >= end_ps) break;
      NextTick();
    } else if (cur_tick_ >= end_ps) {
      break;
    }
    HandleNext();
  }
  now_ = std::max(now_, end_ps);
}

Tick SequentialDriver::RunToIdle() {
  while (pending_ != 0) {
    if (cur_pos_ == cur_.size()) NextTick();
    HandleNext();
  }
  return now_;
}

}  // namespace moefab::fabric
