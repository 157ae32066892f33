// RadixQueue: the engine's event queue, a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan 1990)
// on the tick, for keys that never go below the last one taken out (the engine's clock only
// moves forward). Bucket 0 holds the entries at the bucketing tick, as a binary heap on the
// whole key (ties on the tick are common: the order class, origin and sequence number break
// them); bucket i > 0 those whose tick first differs from it in bit i - 1. A look at the top
// moves the bucketing tick up to the smallest entry; an entry pushed below it afterwards (the
// engine peeks while it handles other events) waits in a small heap of its own. Taking the
// smallest empties the lowest non-empty bucket into the ones below it, so an entry moves at
// most 64 times over its life and each move is a sequential append: cache-friendly where a
// binary heap of a million entries misses on every level of every sift.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/types.h"

namespace moefab::pdes {

/// `E` has a `tick` member; `Later` is a strict order on whole entries ("a after b") that
/// agrees with the tick. Pushes must not go below the tick of the last entry taken out.
template <class E, class Later>
class RadixQueue {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }

  void push(const E& e) {
    MOEFAB_CHECK(e.tick >= floor_, "event at tick " << e.tick << " queued below the queue's clock " << floor_);
    if (e.tick > last_) {
      const unsigned b = Bucket(e.tick);
      buckets_[b].push_back(e);
      occupied_ |= std::uint64_t{1} << (b - 1);
    } else {
      // At the bucketing tick, or below it (a top() moved it up to the smallest entry, then
      // something smaller but not below the last one taken out came in): a heap of its own.
      std::vector<E>& h = e.tick == last_ ? now_ : low_;
      h.push_back(e);
      std::push_heap(h.begin(), h.end(), Later{});
    }
    ++size_;
  }

  /// The smallest entry (the queue must not be empty).
  [[nodiscard]] const E& top() const { return Smallest(); }

  void pop() {
    const E& top = Smallest();
    std::vector<E>& h = !low_.empty() && &top == low_.data() ? low_ : now_;
    floor_ = h.front().tick;
    std::pop_heap(h.begin(), h.end(), Later{});
    h.pop_back();
    --size_;
  }

 private:
  // Bucket of a tick above last_: one more than the highest bit in which they differ.
  unsigned Bucket(Tick tick) const { return 64u - static_cast<unsigned>(std::countl_zero(tick ^ last_)); }

  const E& Smallest() const {
    Refill();
    if (low_.empty()) return now_.front();
    if (now_.empty() || Later{}(now_.front(), low_.front())) return low_.front();
    return now_.front();
  }

  // Makes bucket 0 non-empty (if anything is queued): the lowest non-empty bucket's smallest
  // tick becomes the clock and its entries go down.
  void Refill() const {
    if (!now_.empty() || occupied_ == 0) return;
    const unsigned b = static_cast<unsigned>(std::countr_zero(occupied_)) + 1;
    std::vector<E>& from = buckets_[b];
    Tick lowest = from.front().tick;
    for (const E& e : from) lowest = std::min(lowest, e.tick);
    last_ = lowest;
    occupied_ &= ~(std::uint64_t{1} << (b - 1));
    for (const E& e : from) {
      if (e.tick == lowest) {
        now_.push_back(e);
      } else {
        const unsigned to = Bucket(e.tick);  // < b: they agree with lowest above bit b - 1
        buckets_[to].push_back(e);
        occupied_ |= std::uint64_t{1} << (to - 1);
      }
    }
    from.clear();
    std::make_heap(now_.begin(), now_.end(), Later{});
  }

  // Refill runs inside top(): the queue's contents do not change, only where they sit.
  Tick floor_ = 0;                                  // the last entry taken out: none is below it
  mutable Tick last_ = 0;                           // the bucketing tick (>= floor_)
  mutable std::vector<E> now_;                      // entries at last_, a heap on Later
  std::vector<E> low_;                              // entries below last_ (rare), a heap on Later
  mutable std::array<std::vector<E>, 65> buckets_;  // [1..64]: by highest differing bit
  mutable std::uint64_t occupied_ = 0;              // bit i - 1: bucket i is not empty
  std::size_t size_ = 0;
};

}  // namespace moefab::pdes
