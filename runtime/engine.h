// Conservative parallel discrete-event engine (PDES over a Transport).
//
// Each rank owns a set of torus nodes and holds the events of those nodes in one priority
// queue ordered by the event key (see event.h). Loop: agree on the global next event time T
// (one allreduce at the start, then carried by each exchange); every rank runs its events with
// tick in [T, T + lookahead); the events that crossed to other ranks are exchanged together
// with every rank's next event time; repeat until no rank has an event. The lookahead
// is the smallest delay with which an event on one rank can cause an event on another (router
// delay + wire latency of the cross-rank links), so no event can arrive in a rank's past.
// Idle spans are skipped, not stepped. With one rank (or no cross-rank link) the lookahead is
// infinite and the whole run is one window.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <deque>
#include <queue>
#include <vector>

#include <spdlog/spdlog.h>

#include "runtime/event.h"
#include "runtime/transport.h"

namespace moefab {

class Engine;

/// The model the engine drives. Handlers may touch only the state of `e.node` and schedule
/// events through the engine.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void Handle(Event& e, Engine& engine) = 0;
};

struct EngineStats {
  uint64_t events = 0;        // events handled on this rank
  uint64_t windows = 0;       // synchronisation windows
  uint64_t events_sent = 0;   // events sent to other ranks
  double wall_seconds = 0;    // wall time of Run on this rank
};

class Engine {
 public:
  /// owner[n] is the rank that owns node n; lookahead_ps may be kTickMax (no cross-rank link).
  Engine(Transport& transport, std::vector<RankId> owner, Tick lookahead_ps,
         std::shared_ptr<spdlog::logger> log);

  /// Schedules an event created by the handler of node `e.origin` (owned by this rank): assigns
  /// its sequence number and queues it here or for the rank that owns `e.node`.
  void Schedule(Event&& e);

  /// Runs until no events are left anywhere. `progress` is called on every rank after each
  /// window with the current window start (it may log, never change simulated state).
  EngineStats Run(EventHandler& handler, const std::function<void(Tick)>& progress = {});

  [[nodiscard]] Tick now() const { return now_; }
  [[nodiscard]] RankId rank() const { return transport_.rank(); }
  [[nodiscard]] bool Owns(NodeId n) const { return owner_[n] == transport_.rank(); }
  [[nodiscard]] RankId OwnerOf(NodeId n) const { return owner_[n]; }
  [[nodiscard]] Tick lookahead_ps() const { return lookahead_ps_; }

 private:
  Transport& transport_;            // borrowed; outlives the engine
  std::vector<RankId> owner_;       // node -> rank
  Tick lookahead_ps_;               // window length (ps); kTickMax = unbounded
  std::shared_ptr<spdlog::logger> log_;
  // This rank's events: the events live in a pool (moved once in, once out); the heap orders
  // small keys pointing into it (a heap of whole events moved ~300-byte objects per sift).
  // The order key (tick, kind, origin, seq) packed into two words: kind 8 bits, origin 24
  // bits, seq 32 bits (both checked on push).
  struct QueueEntry {
    Tick tick;
    uint64_t rest;      // kind << 56 | origin << 32 | seq
    uint32_t slot;      // index into pool_
  };
  struct EntryLater {
    bool operator()(const QueueEntry& a, const QueueEntry& b) const {
      return a.tick != b.tick ? a.tick > b.tick : a.rest > b.rest;
    }
  };
  void Push(Event&& e);
  uint32_t PopTop();                // slot of the earliest event (handled in place, then freed)
  [[nodiscard]] Tick TopTick() const { return heap_.empty() ? kTickMax : heap_.top().tick; }
  std::priority_queue<QueueEntry, std::vector<QueueEntry>, EntryLater> heap_;
  std::deque<Event> pool_;          // event storage (a deque: handlers may push while one is handled)
  std::vector<uint32_t> free_;      // free pool slots
  std::vector<uint64_t> next_seq_;  // per node: next origin sequence number
  std::vector<Bytes> outbox_;       // per destination rank: serialised events of this window
  Tick outbox_min_ = kTickMax;      // earliest event in the outboxes
  Tick now_ = 0;                    // tick of the event being handled
  Tick window_end_ = 0;             // events at or after this tick wait for the next window
  EngineStats stats_;
};

/// Node-to-rank maps. Block: contiguous blocks of node ids; round-robin: n mod ranks.
std::vector<RankId> BlockOwners(uint32_t num_nodes, RankId ranks);
std::vector<RankId> RoundRobinOwners(uint32_t num_nodes, RankId ranks);

}  // namespace moefab
