// RadixQueue against std::priority_queue: the same entries come out in the same order, with
// ties on the tick (broken by the rest of the key), pushes at the current tick while it is
// being drained, looks at the top followed by pushes below it, long jumps ahead, and a push
// below the last entry taken out refused.
#include "runtime/pdes/radix_queue.h"

#include <queue>
#include <vector>

#include <gtest/gtest.h>

#include "core/rng.h"

namespace moefab::pdes {
namespace {

struct E {
  Tick tick;
  std::uint64_t rest;
};
struct Later {
  bool operator()(const E& a, const E& b) const { return a.tick != b.tick ? a.tick > b.tick : a.rest > b.rest; }
};

TEST(RadixQueueTest, MatchesABinaryHeapOnRandomMonotoneTraffic) {
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    SplitMix64 rng(seed);
    RadixQueue<E, Later> q;
    std::priority_queue<E, std::vector<E>, Later> ref;
    std::uint64_t rest = 0;
    Tick now = 0;
    std::size_t popped = 0;
    for (int step = 0; step < 200000; ++step) {
      const std::uint64_t r = rng.Next();
      if (r % 7 == 1 && !ref.empty()) {
        // A look at the top moves the bucketing tick up; later pushes may go below it.
        ASSERT_EQ(q.top().rest, ref.top().rest);
      } else if (r % 3 != 0 || ref.empty()) {
        // Mostly near the clock, sometimes at it (ties), sometimes far ahead.
        Tick delta = (r >> 8) % 4 == 0 ? 0 : (r >> 16) % 2000;
        if ((r >> 32) % 97 == 0) delta = (r >> 40) << 20;
        const E e{now + delta, (rng.Next() % 16) << 56 | rest++};
        q.push(e);
        ref.push(e);
      } else {
        ASSERT_EQ(q.size(), ref.size());
        const E a = q.top();
        const E b = ref.top();
        ASSERT_EQ(a.tick, b.tick) << "seed " << seed << " pop " << popped;
        ASSERT_EQ(a.rest, b.rest) << "seed " << seed << " pop " << popped;
        q.pop();
        ref.pop();
        now = a.tick;
        ++popped;
      }
    }
    while (!ref.empty()) {
      ASSERT_EQ(q.top().tick, ref.top().tick);
      ASSERT_EQ(q.top().rest, ref.top().rest);
      q.pop();
      ref.pop();
    }
    EXPECT_TRUE(q.empty());
    EXPECT_GT(popped, 50000u);
  }
}

TEST(RadixQueueTest, ExtremeTicksAndTies) {
  RadixQueue<E, Later> q;
  q.push({kTickMax, 1});
  q.push({0, 5});
  q.push({0, 2});
  q.push({Tick{1} << 63, 0});
  q.push({kTickMax, 0});
  std::vector<std::pair<Tick, std::uint64_t>> got;
  while (!q.empty()) {
    got.emplace_back(q.top().tick, q.top().rest);
    q.pop();
  }
  const std::vector<std::pair<Tick, std::uint64_t>> want{
      {0, 2}, {0, 5}, {Tick{1} << 63, 0}, {kTickMax, 0}, {kTickMax, 1}};
  EXPECT_EQ(got, want);
}

TEST(RadixQueueDeathTest, PushBelowTheClockAborts) {
  RadixQueue<E, Later> q;
  q.push({100, 0});
  q.pop();
  EXPECT_DEATH(q.push({99, 0}), "below the queue's clock 100");
}

}  // namespace
}  // namespace moefab::pdes
