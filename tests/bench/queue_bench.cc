// The engine's event queue: RadixQueue (runtime/pdes/radix_queue.h) against the binary heap it
// replaced (std::priority_queue), on the classic "hold" pattern: N events queued, each step
// takes the earliest and queues one a random delay later (0-8 ns, ties on the tick broken by the
// rest of the key), as a fabric does. Both run in one process, so a noisy machine slows both.
#include <queue>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/rng.h"
#include "runtime/pdes/radix_queue.h"

namespace {

using moefab::Tick;

struct Entry {  // the engine's entry: 24 bytes
  Tick tick;
  std::uint64_t rest;
  std::uint32_t slot;
  std::uint32_t node;
};
struct Later {
  bool operator()(const Entry& a, const Entry& b) const { return a.tick != b.tick ? a.tick > b.tick : a.rest > b.rest; }
};

template <class Q>
void Hold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  moefab::SplitMix64 rng(1);
  Q q;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) q.push(Entry{rng.Next() % 8000, seq++, 0, 0});
  for (auto _ : state) {
    const Entry e = q.top();
    q.pop();
    q.push(Entry{e.tick + rng.Next() % 8000, seq++, e.slot, e.node});
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BinaryHeap(benchmark::State& state) {
  Hold<std::priority_queue<Entry, std::vector<Entry>, Later>>(state);
}
void BM_RadixQueue(benchmark::State& state) {
  Hold<moefab::pdes::RadixQueue<Entry, Later>>(state);
}

BENCHMARK(BM_BinaryHeap)->Arg(1 << 10)->Arg(1 << 17)->Arg(1 << 20);
BENCHMARK(BM_RadixQueue)->Arg(1 << 10)->Arg(1 << 17)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
