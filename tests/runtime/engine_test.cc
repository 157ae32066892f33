// The PDES engine on one rank: event order, idle skipping, windows and its invariants.
#include <gtest/gtest.h>

#include "runtime/engine.h"
#include "runtime/logging.h"
#include "runtime/loopback_transport.h"

namespace moefab {
namespace {

Event MakeEvent(Tick tick, EventKind kind, NodeId origin, NodeId node, uint32_t token = 0) {
  Event e;
  e.tick = tick;
  e.kind = kind;
  e.origin = origin;
  e.node = node;
  e.token = token;
  return e;
}

// Records the order of handled events; optionally spawns a follow-up.
struct Recorder : EventHandler {
  std::vector<std::tuple<Tick, EventKind, NodeId, uint32_t>> seen;
  Tick follow_up_delay = 0;  // 0: none
  int remaining = 0;         // follow-ups left
  void Handle(Event& e, Engine& engine) override {
    seen.emplace_back(e.tick, e.kind, e.origin, e.token);
    if (follow_up_delay && remaining-- > 0)
      engine.Schedule(MakeEvent(engine.now() + follow_up_delay, EventKind::kTokenStart, e.node,
                                e.node, e.token + 1));
  }
};

TEST(EngineTest, HandlesEventsInKeyOrder) {
  LoopbackTransport t;
  Engine engine(t, std::vector<RankId>(3, 0), kTickMax, Logger("runtime"));
  // Scheduled out of order; same tick ties break on kind, then origin, then sequence.
  engine.Schedule(MakeEvent(10, EventKind::kTokenStart, 2, 2, 1));
  engine.Schedule(MakeEvent(10, EventKind::kDeliver, 1, 1, 2));
  engine.Schedule(MakeEvent(5, EventKind::kSlotDone, 0, 0, 3));
  engine.Schedule(MakeEvent(10, EventKind::kDeliver, 0, 0, 4));
  engine.Schedule(MakeEvent(10, EventKind::kDeliver, 0, 0, 5));
  Recorder r;
  const auto stats = engine.Run(r);
  ASSERT_EQ(r.seen.size(), 5u);
  std::vector<uint32_t> tokens;
  for (const auto& s : r.seen) tokens.push_back(std::get<3>(s));
  EXPECT_EQ(tokens, (std::vector<uint32_t>{3, 4, 5, 2, 1}));
  EXPECT_EQ(stats.events, 5u);
}

TEST(EngineTest, SkipsIdleTimeInsteadOfStepping) {
  LoopbackTransport t;
  const Tick lookahead = 10;
  Engine engine(t, std::vector<RankId>(1, 0), lookahead, Logger("runtime"));
  engine.Schedule(MakeEvent(0, EventKind::kTokenStart, 0, 0));
  engine.Schedule(MakeEvent(9, EventKind::kTokenStart, 0, 0));   // same window as 0
  engine.Schedule(MakeEvent(10, EventKind::kTokenStart, 0, 0));  // next window starts here
  engine.Schedule(MakeEvent(1'000'000'000'000ULL, EventKind::kTokenStart, 0, 0));  // 1 s later
  Recorder r;
  const auto stats = engine.Run(r);
  EXPECT_EQ(r.seen.size(), 4u);
  EXPECT_EQ(stats.windows, 3u);  // [0,10), [10,20), [1e12, 1e12+10): nothing stepped between
  EXPECT_EQ(engine.now(), 1'000'000'000'000ULL);
}

TEST(EngineTest, EventsCreatedDuringRunAreHandled) {
  LoopbackTransport t;
  Engine engine(t, std::vector<RankId>(1, 0), 7, Logger("runtime"));
  engine.Schedule(MakeEvent(0, EventKind::kTokenStart, 0, 0));
  Recorder r;
  r.follow_up_delay = 3;
  r.remaining = 100;
  engine.Run(r);
  ASSERT_EQ(r.seen.size(), 101u);
  EXPECT_EQ(std::get<0>(r.seen.back()), 300u);
}

TEST(EngineTest, OwnerMapsCoverEveryNode) {
  EXPECT_EQ(BlockOwners(5, 2), (std::vector<RankId>{0, 0, 0, 1, 1}));
  EXPECT_EQ(BlockOwners(4, 4), (std::vector<RankId>{0, 1, 2, 3}));
  EXPECT_EQ(BlockOwners(2, 4), (std::vector<RankId>{0, 2}));
  EXPECT_EQ(RoundRobinOwners(5, 2), (std::vector<RankId>{0, 1, 0, 1, 0}));
}

TEST(EngineDeathTest, SchedulingInThePastAbortsWithTick) {
  auto run = [] {
    LoopbackTransport t;
    Engine engine(t, std::vector<RankId>(1, 0), kTickMax, Logger("runtime"));
    engine.Schedule(MakeEvent(100, EventKind::kTokenStart, 0, 0));
    struct Bad : EventHandler {
      void Handle(Event&, Engine& e) override {
        e.Schedule(MakeEvent(50, EventKind::kTokenStart, 0, 0));
      }
    } bad;
    engine.Run(bad);
  };
  EXPECT_DEATH(run(), "tick 100.*event scheduled in the past");
}

}  // namespace
}  // namespace moefab
