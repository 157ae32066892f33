// The model-free PDES engine on one rank: event order, payload types, moves without copies,
// idle skipping, windows and its invariants. The model here is a toy: it knows nothing of
// chips or fabrics, which is the point.
#include <gtest/gtest.h>

#include <memory>

#include "runtime/logging.h"
#include "runtime/pdes/engine.h"
#include "runtime/transport/loopback_transport.h"

namespace moefab::pdes {
namespace {

// A payload that can only be moved (a copy would not compile).
struct Token {
  std::unique_ptr<uint32_t> id;
  void Encode(ByteWriter& w) const { w.Put(*id); }
  static Token Decode(ByteReader& r) { return {std::make_unique<uint32_t>(r.Get<uint32_t>())}; }
};
// A second payload type with its own slab.
struct Ping {
  uint64_t value = 0;
  void Encode(ByteWriter& w) const { w.Put(value); }
  static Ping Decode(ByteReader& r) { return {r.Get<uint64_t>()}; }
};

struct Recorder;
using ToyEngine = Engine<Recorder, PayloadList<Token, Ping>>;

// Records the order of handled events; optionally spawns a follow-up.
struct Recorder {
  using Payloads = PayloadList<Token, Ping>;
  ToyEngine* engine = nullptr;
  std::vector<std::tuple<Tick, uint8_t, NodeId, uint64_t>> seen;
  Tick follow_up_delay = 0;  // 0: none
  int remaining = 0;         // follow-ups left
  Tick past = 0;             // > 0: schedule an event at this (past) tick once
  void Handle(const EventHead& h, Token& t) {
    std::unique_ptr<uint32_t> mine = std::move(t.id);  // handlers may move from the payload
    seen.emplace_back(h.tick, h.cls, h.origin, *mine);
    if (past) {
      const Tick at = past;
      past = 0;
      engine->Schedule(EventHead{at, 0, h.node, h.node}, Ping{1});
    }
    if (follow_up_delay && remaining-- > 0)
      engine->Schedule(EventHead{engine->now() + follow_up_delay, 0, h.node, h.node},
                       Token{std::make_unique<uint32_t>(*mine + 1)});
  }
  void Handle(const EventHead& h, Ping& p) { seen.emplace_back(h.tick, h.cls, h.origin, 1000 + p.value); }
};

EventHead At(Tick tick, uint8_t cls, NodeId origin) {
  return EventHead{tick, cls, origin, origin};
}
Token T(uint32_t id) {
  return Token{std::make_unique<uint32_t>(id)};
}

TEST(EngineTest, HandlesEventsInKeyOrderAcrossPayloadTypes) {
  LoopbackTransport t;
  ToyEngine engine(t, std::vector<RankId>(3, 0), kTickMax, Logger("runtime"));
  // Scheduled out of order; same tick ties break on class, then origin, then sequence,
  // whatever the payload type.
  engine.Schedule(At(10, 15, 2), T(1));
  engine.Schedule(At(10, 9, 1), T(2));
  engine.Schedule(At(5, 10, 0), Ping{3});
  engine.Schedule(At(10, 9, 0), T(4));
  engine.Schedule(At(10, 9, 0), Ping{5});
  Recorder r;
  r.engine = &engine;
  const auto stats = engine.Run(r);
  ASSERT_EQ(r.seen.size(), 5u);
  std::vector<uint64_t> ids;
  for (const auto& s : r.seen) ids.push_back(std::get<3>(s));
  EXPECT_EQ(ids, (std::vector<uint64_t>{1003, 4, 1005, 2, 1}));
  EXPECT_EQ(stats.events, 5u);
}

TEST(EngineTest, SkipsIdleTimeInsteadOfStepping) {
  LoopbackTransport t;
  const Tick lookahead = 10;
  ToyEngine engine(t, std::vector<RankId>(1, 0), lookahead, Logger("runtime"));
  engine.Schedule(At(0, 15, 0), T(0));
  engine.Schedule(At(9, 15, 0), T(0));                     // same window as 0
  engine.Schedule(At(10, 15, 0), T(0));                    // next window starts here
  engine.Schedule(At(1'000'000'000'000ULL, 15, 0), T(0));  // 1 s later
  Recorder r;
  r.engine = &engine;
  const auto stats = engine.Run(r);
  EXPECT_EQ(r.seen.size(), 4u);
  EXPECT_EQ(stats.windows, 3u);  // [0,10), [10,20), [1e12, 1e12+10): nothing stepped between
  EXPECT_EQ(engine.now(), 1'000'000'000'000ULL);
}

TEST(EngineTest, EventsCreatedDuringRunAreHandled) {
  LoopbackTransport t;
  ToyEngine engine(t, std::vector<RankId>(1, 0), 7, Logger("runtime"));
  engine.Schedule(At(0, 15, 0), T(0));
  Recorder r;
  r.engine = &engine;
  r.follow_up_delay = 3;
  r.remaining = 100;
  engine.Run(r);
  ASSERT_EQ(r.seen.size(), 101u);
  EXPECT_EQ(std::get<0>(r.seen.back()), 300u);
  EXPECT_EQ(std::get<3>(r.seen.back()), 100u);
}

TEST(EngineDeathTest, SchedulingInThePastAbortsWithTick) {
  auto run = [] {
    LoopbackTransport t;
    ToyEngine engine(t, std::vector<RankId>(1, 0), kTickMax, Logger("runtime"));
    engine.Schedule(At(100, 15, 0), T(0));
    Recorder r;
    r.engine = &engine;
    r.past = 50;
    engine.Run(r);
  };
  EXPECT_DEATH(run(), "tick 100.*event scheduled in the past");
}

}  // namespace
}  // namespace moefab::pdes
