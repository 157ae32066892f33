// Conservative parallel discrete-event engine (PDES over a Transport). Model-free: the model
// supplies its payload types and handlers; the engine owns only the order key, the queue, the
// windows and the exchange of events that cross ranks.
//
// Each rank owns a set of nodes (an owner map) and keeps the events of those nodes in one
// queue ordered by the key (tick, class, origin node, origin sequence number). The key never
// depends on the rank count, the mapping, pointer values or hash order, so every run repeats
// bit for bit. Loop: every rank r handles its events with tick in its window [T, E_r); the
// events that crossed to other ranks are exchanged together with every rank's window summary
// (its next event time and its send bound); T is then the earliest event anywhere and E_r the
// earliest tick at which another rank may still send r an event: the smallest send bound of
// the other ranks (E_r = min over s != r of min(horizon_s, T + horizon_after_s)), and one
// lookahead after the earliest event r itself just sent (the others' bounds were made before
// they received it). A rank's send bound is one lookahead after its earliest queued or
// outgoing event (for events of nodes with slack, below: plus the smallest slack), bounded by
// the model's own CrossRankHorizon (its "earliest output time", e.g. credits). The lookahead is the
// smallest delay with which any event on one rank can cause an event on another. No event
// ever arrives in a node's past, so results do not depend on the rank count. Idle spans are
// skipped, not stepped. With one rank the whole run is one window.
//
// Slack (SetSlack, windows only): a node far from every other rank's nodes cannot be reached
// from another rank until some time after a window's end (the model knows how long: e.g. the
// fabric's hops to the nearest foreign node). Its events wait in a queue of their own, one per
// slack level (the node's slack capped at the kSlackLevels-th smallest, so each level's queue
// only ever runs forward and can be a radix heap like the main one); they count
// for the send bound with that slack, and while the window exchange is in flight the engine
// handles those below the window's end plus their level's slack, in tick order over the
// levels: work that would otherwise wait on the exchange. Such a node never sends to another
// rank (checked).
//
// While a window exchange is in flight, the engine lets the model do deferred work (its
// Background hook) instead of waiting: work whose results are needed only later in simulated
// time (e.g. the values of RTL jobs whose timing is already known) then runs in parallel on
// every rank, whatever the window length.
//
// Payloads: a model names its event payload types in `Model::Payloads` (a PayloadList). Each
// type lives in its own slab, so an event is as small as its own payload: a payload is moved
// in once when scheduled and handled in place (the handler may move from it), never copied.
// A payload type crossing ranks provides `void Encode(ByteWriter&) const` and
// `static T Decode(ByteReader&)`.
//
// What the engine asks of a model `M`:
//   using Payloads = pdes::PayloadList<A, B, ...>;   // at most 8 types
//   void Handle(const pdes::EventHead& head, A& payload);  // one overload per payload type
// and, optionally:
//   pdes::Horizon CrossRankHorizon();  // after a window: its own bounds on events crossing
//                                      // ranks (Horizon below); default: none
//   bool Background();                 // one slice of deferred work; false when none is left
//   uint64_t ProgressCount() const;    // a counter summed over the ranks for progress lines
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/byte_io.h"
#include "core/error.h"
#include "core/state_archive.h"
#include "core/types.h"
#include "runtime/pdes/engine_detail.h"
#include "runtime/pdes/radix_queue.h"
#include "runtime/pdes/window_record.h"
#include "runtime/transport/transport.h"

namespace moefab::pdes {

/// The engine's part of an event: when, its order class, where it is handled, who made it.
struct EventHead {
  Tick tick = 0;      // when it happens (ps)
  uint8_t cls = 0;    // order class: second component of the key (the model's numbering)
  NodeId node = 0;    // the node whose state its handler touches (decides the owning rank)
  NodeId origin = 0;  // the node whose handler created it (third component of the key)
};

/// The payload types of a model, in a fixed order (the order is part of the wire form).
template <class... P>
struct PayloadList {
  static constexpr size_t kCount = sizeof...(P);
};

/// The asynchronous protocol's per-peer bounds from the model's state (RunAsync): `credits_in`
/// bounds what `peer` may still send this rank for what this rank sent it (absolute);
/// `credits_out_after` bounds what this rank may send `peer` beyond the packet lookahead,
/// counted from this rank's next event.
struct PeerHorizon {
  Tick credits_in = kTickMax;
  Tick credits_out_after = kTickMax;
};

/// What the model knows after a window about events crossing ranks (its "earliest output
/// time"): other ranks send this rank nothing before `in_absolute` for what this rank sent
/// them (e.g. credits for its packets), and this rank sends nothing before the next window's
/// start + `out_after_start` for what it holds (e.g. credits for packets waiting here).
struct Horizon {
  Tick in_absolute = kTickMax;      // ps
  Tick out_after_start = kTickMax;  // ps after the next window's start
};

struct EngineStats {
  uint64_t events = 0;            // events handled on this rank
  uint64_t windows = 0;           // synchronisation windows
  uint64_t events_sent = 0;       // events sent to other ranks
  uint64_t early_events = 0;      // of events, handled early while a window exchange was in flight
  double wall_seconds = 0;        // wall time of Run on this rank
  double work_seconds = 0;        // of which handling events
  double background_seconds = 0;  // of which the model's deferred work while a window was exchanged
  double wait_seconds = 0;        // of which waiting for the other ranks (synchronisation)
  // Windows on several ranks, rank 0 only (window_record.h): the sum over windows of the
  // busiest rank's work, and every rank's work in windows (their ratio: the parallelism left).
  double critical_path_seconds = 0;
  double window_work_seconds = 0;
  uint64_t windows_per_record = 0;  // windows merged per record of the critical path
};

/// Progress lines: `report(simulated tick, count summed over the ranks, wall seconds)` is
/// called on every rank at most every `interval_seconds` of wall time (the same calls on every
/// rank; rank 0 prints). It may log, never change simulated state.
struct ProgressOptions {
  double interval_seconds = 0;  // 0: never
  std::function<void(Tick, uint64_t, double)> report;
};

template <class M, class List = typename M::Payloads>
class Engine;

template <class M, class... P>
class Engine<M, PayloadList<P...>> {
  static_assert(sizeof...(P) >= 1 && sizeof...(P) <= 8, "1 to 8 payload types");

 public:
  /// owner[n] is the rank that owns node n; lookahead_ps may be kTickMax (nothing crosses).
  Engine(Transport& transport, std::vector<RankId> owner, Tick lookahead_ps, std::shared_ptr<spdlog::logger> log)
      : transport_(transport),
        owner_(std::move(owner)),
        lookahead_ps_(lookahead_ps),
        log_(std::move(log)),
        node_last_(owner_.size(), 0),
        next_seq_(owner_.size(), 0),
        outbox_(transport.size()),
        outbox_min_by_(transport.size(), kTickMax),
        outbox_events_(transport.size(), 0) {
    MOEFAB_CHECK(lookahead_ps_ > 0, "lookahead must be positive");
  }
  ~Engine() { Clear(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Schedules an event created by the handler of node `head.origin` (owned by this rank):
  /// assigns its sequence number and queues it here or for the rank that owns `head.node`.
  template <class T>
  void Schedule(const EventHead& head, T&& payload) {
    ScheduleReserved(head, ReserveSeq(head.origin), std::forward<T>(payload));
  }

  /// Takes node `origin`'s next sequence number without an event: a model that may create the
  /// event later (or never) keeps the order key it would have had now (ScheduleReserved).
  uint64_t ReserveSeq(NodeId origin) {
    MOEFAB_CHECK(origin < owner_.size() && Owns(origin),
                 "sequence number reserved for node " << origin << " which this rank does not own");
    return next_seq_[origin]++;
  }

  /// Schedule with a sequence number from ReserveSeq (of head.origin, not used before).
  template <class T>
  void ScheduleReserved(const EventHead& head, uint64_t seq, T&& payload) {
    using U = std::remove_cvref_t<T>;
    constexpr uint8_t type = detail::IndexOf<U, P...>();
    static_assert(type != 0xFF, "not a payload type of this model");
    MOEFAB_CHECK(head.origin < owner_.size() && Owns(head.origin),
                 "event created for node " << head.origin << " which this rank does not own");
    MOEFAB_CHECK(head.node < owner_.size(), "event for unknown node " << head.node);
    MOEFAB_CHECK(head.tick >= now_, "event scheduled in the past: tick " << head.tick << " < now " << now_);
    MOEFAB_CHECK(head.origin < (1u << 24), "origin node " << head.origin << " beyond the order key's 24 bits");
    MOEFAB_CHECK(seq < (1ull << 32), "node " << head.origin << " created more than 2^32 events");
    const uint64_t rest = (uint64_t{head.cls} << 56) | (uint64_t{head.origin} << 32) | seq;
    const RankId dest = owner_[head.node];
    if (dest == transport_.rank()) {
      Push<type>(head.tick, rest, head.node, U(std::forward<T>(payload)));
      return;
    }
    // Conservative synchronisation: a cross-rank event must not land inside the current window,
    // nor come from a node handled early (its slack says it is too far from other ranks).
    MOEFAB_CHECK(!in_early_, "cross-rank event at tick " << head.tick << " for node " << head.node << " from node "
                                                         << head.origin << " handled early (its slack is wrong)");
    MOEFAB_CHECK(head.tick >= all_done_, "cross-rank event at tick " << head.tick << " for node " << head.node
                                                                     << " falls inside the windows ending at "
                                                                     << all_done_ << " (lookahead " << lookahead_ps_
                                                                     << " ps too large)");
    outbox_min_ = std::min(outbox_min_, head.tick);
    outbox_min_by_[dest] = std::min(outbox_min_by_[dest], head.tick);
    sent_to_ = dest;
    ++outbox_events_[dest];
    ByteWriter w(outbox_[dest]);
    w.Put(type);
    w.Put(head.tick);
    w.Put(rest);
    w.Put(head.node);
    payload.Encode(w);
    ++stats_.events_sent;
  }

  /// Runs until no events are left anywhere.
  EngineStats Run(M& model, const ProgressOptions& progress = {});  // engine_windows.h

  /// Runs until no events are left anywhere, with the asynchronous protocol over `channels`
  /// (ranks that share memory): no global windows. Each rank publishes, per peer, a clock (no
  /// event it sends that peer from now on is earlier) and the tick before which it has handled
  /// everything; a rank handles its events below the smallest clock of its peers and of the
  /// model's bounds on what the peers may still send it (PeerBound), so no rank waits for a
  /// slower one further than one lookahead away. The model provides:
  ///   Tick PacketLookahead(RankId peer);           // smallest delay of any event to `peer`
  ///   PeerHorizon PeerBound(RankId peer, Tick peer_done);
  /// Termination: every rank idle and as many events received as sent, seen twice unchanged.
  EngineStats RunAsync(M& model, AsyncChannels& ch, const ProgressOptions& progress = {});  // engine_async.h

  [[nodiscard]] Tick now() const { return now_; }
  [[nodiscard]] RankId rank() const { return transport_.rank(); }
  [[nodiscard]] bool Owns(NodeId n) const { return owner_[n] == transport_.rank(); }
  [[nodiscard]] RankId OwnerOf(NodeId n) const { return owner_[n]; }
  [[nodiscard]] const std::vector<RankId>& owners() const { return owner_; }
  [[nodiscard]] Tick lookahead_ps() const { return lookahead_ps_; }
  /// The smallest delay with which an event sent to another rank can make that rank send one
  /// back (windows only; before Run; default and at most: the lookahead). Each rank's window
  /// ends at the latest one reply delay after its own send bound. A model whose replies come
  /// faster than the lookahead bounds those to the events it has already sent through
  /// CrossRankHorizon().in_absolute.
  void SetReplyDelay(Tick delay) { reply_ps_ = std::min(delay, lookahead_ps_); }
  /// Per node, how far past a window's end its events may run while the window exchange is in
  /// flight (windows only; before Run): nothing from another rank can reach the node earlier
  /// (it is that many ticks of fabric delay from any node another rank owns; 0 next to one).
  void SetSlack(std::vector<Tick> slack) {
    MOEFAB_CHECK(Empty(), "SetSlack before any event is scheduled");
    MOEFAB_CHECK(slack.empty() || slack.size() == owner_.size(), "slack of " << slack.size() << " nodes");
    // The levels: the smallest distinct positive slacks; a node with more slack than the last
    // level runs as far as that level (less early work, never a wrong one). So a node's level
    // is its slack capped, and the cap keeps what early handling relies on: two nodes' slacks
    // differ by at most the delay between them (the fabric's are hop distances).
    std::vector<Tick> levels;
    for (Tick t : slack)
      if (t > 0) levels.push_back(t);
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    if (levels.size() > kSlackLevels) levels.resize(kSlackLevels);
    level_slack_ = levels;
    early_.assign(levels.size(), {});
    level_of_.assign(slack.empty() ? 0 : owner_.size(), 0);
    for (size_t n = 0; n < slack.size(); ++n) {
      if (slack[n] == 0) continue;
      const auto above = std::upper_bound(levels.begin(), levels.end(), slack[n]);  // > slack[n]
      level_of_[n] = static_cast<uint8_t>(above - levels.begin());  // 1 + the last level <= slack[n]
    }
  }
  /// Checkpoints (windows and one rank; before Run): `save(tick)` is called on every rank at
  /// the first window boundary at or after each multiple of `every_ps` past the run's start,
  /// when every event before `tick` has been handled on every rank and nothing is in flight
  /// between ranks, so that each rank's engine and model state is whole (SaveState). Windows
  /// end at those multiples; results do not change. 0: never.
  void SetCheckpoints(Tick every_ps, std::function<void(Tick)> save) {
    checkpoint_every_ps_ = every_ps;
    checkpoint_ = std::move(save);
  }
  /// The engine's part of a checkpoint (engine_checkpoint.h): the queued events with their
  /// payloads (each payload type provides Archive, core/state_archive.h), every node's next
  /// sequence number and last tick, and the event count. Only between windows (from the
  /// SetCheckpoints callback) or outside Run.
  void SaveState(StateWriter& w);
  /// Reads it back into an engine with the same owners, slack set and nothing queued (before
  /// Run). A checkpoint of another rank or cluster is a ConfigError naming the file.
  void LoadState(StateReader& r);
  /// The end of this rank's current (or just finished) window: every event of this rank before
  /// it has been handled once the window is over.
  [[nodiscard]] Tick window_end() const { return window_end_; }
  /// Every event before this tick has been handled on every rank once the current window is
  /// over (the smallest window end of all ranks, or below it).
  [[nodiscard]] Tick all_done() const { return all_done_; }

 private:
  // The key (tick, class, origin, seq) packed into two words: class 8 bits, origin 24 bits,
  // seq 32 bits; the payload's type and slot ride along.
  struct Entry {
    Tick tick;
    uint64_t rest;  // class << 56 | origin << 32 | seq
    uint32_t slot;  // type << 29 | slot in that type's slab
    NodeId node;    // where it is handled
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.tick != b.tick ? a.tick > b.tick : a.rest > b.rest;
    }
  };
  static constexpr uint32_t kSlotBits = 29;
  static constexpr uint32_t kEventsPerClockCheck = 4096;
  static constexpr uint32_t kWindowsPerClockCheck = 256;
  static constexpr uint32_t kAsyncBatch = 256;           // events handled between two publishes
  static constexpr size_t kOutboxFullBytes = 256 << 10;  // ... or until an outbox holds this much

  bool OutboxFull() const {
    for (const auto& b : outbox_)
      if (b.size() >= kOutboxFullBytes) return true;
    return false;
  }

  static Tick Add(Tick a, Tick b) { return a > kTickMax - b ? kTickMax : a + b; }

  // At a window boundary: every event before `start` is handled everywhere, nothing is in flight.
  void MaybeCheckpoint(Tick start) {
    if (start == kTickMax || start < next_checkpoint_) return;
    checkpoint_(start);
    next_checkpoint_ = Add(start - start % checkpoint_every_ps_, checkpoint_every_ps_);
  }
  static uint64_t ProgressCountOf(const M& model) {
    if constexpr (requires { model.ProgressCount(); }) {
      return model.ProgressCount();
    } else {
      return 0;
    }
  }

  template <uint8_t I, class T>
  void Push(Tick tick, uint64_t rest, NodeId node, T&& payload) {
    const uint32_t slot = std::get<I>(slabs_).Put(std::move(payload));
    MOEFAB_CHECK(slot < (1u << kSlotBits), "more than 2^29 queued events of one type");
    const Entry entry{tick, rest, (uint32_t{I} << kSlotBits) | slot, node};
    if (!level_of_.empty() && level_of_[node] > 0) {
      early_[level_of_[node] - 1].push(entry);
    } else {
      heap_.push(entry);
    }
  }

  [[nodiscard]] Tick TopTick() const {
    Tick t = heap_.empty() ? kTickMax : heap_.top().tick;
    for (const auto& q : early_)
      if (!q.empty()) t = std::min(t, q.top().tick);
    return t;
  }
  [[nodiscard]] bool Empty() const {
    if (!heap_.empty()) return false;
    for (const auto& q : early_)
      if (!q.empty()) return false;
    return true;
  }
  // The slack level whose queue holds the earliest event (by the whole key), or -1 when the main
  // queue does (or everything is empty). `limit_by_level`: only levels whose top is below the
  // window's end plus their slack count, and the main queue does not.
  [[nodiscard]] int EarliestLevel(bool limit_by_level) const {
    const Entry* best = limit_by_level || heap_.empty() ? nullptr : &heap_.top();
    int level = -1;
    for (size_t q = 0; q < early_.size(); ++q) {
      if (early_[q].empty()) continue;
      const Entry& e = early_[q].top();
      if (limit_by_level && e.tick >= Add(window_end_, level_slack_[q])) continue;
      if (best == nullptr || Later{}(*best, e)) best = &e, level = static_cast<int>(q);
    }
    return limit_by_level && best == nullptr ? -2 : level;
  }

  void ClearOutboxes() {
    for (RankId d = 0; d < outbox_.size(); ++d) {
      outbox_[d].clear();
      outbox_min_by_[d] = kTickMax;
      outbox_events_[d] = 0;
    }
    outbox_min_ = kTickMax;
  }

  // The earliest tick at which an event this rank holds (queued or in an outbox) may cause
  // one on another rank: one lookahead after it, and the slack more for a node with slack
  // (it is further from every other rank's nodes). The model may bound it further (credits).
  [[nodiscard]] Tick SendBound() const {
    Tick bound =
        std::min(Add(outbox_min_, lookahead_ps_), heap_.empty() ? kTickMax : Add(heap_.top().tick, lookahead_ps_));
    for (size_t q = 0; q < early_.size(); ++q)
      if (!early_[q].empty()) bound = std::min(bound, Add(Add(early_[q].top().tick, lookahead_ps_), level_slack_[q]));
    return bound;
  }

  // The earliest event of all the queues.
  void HandleTop(M& model) {
    const int level = early_.empty() ? -1 : EarliestLevel(false);
    if (level < 0) {
      const Entry e = heap_.top();
      heap_.pop();
      // The model may start loading the next event's node state while this one is handled
      // (a large cluster's per-node state does not fit in the caches).
      if constexpr (requires { model.Prefetch(NodeId{}); }) {
        if (!heap_.empty()) model.Prefetch(heap_.top().node);
      }
      Handle(model, e);
    } else {
      const Entry e = early_[level].top();
      early_[level].pop();
      Handle(model, e);
    }
  }

  // While a window exchange is in flight: the events of nodes with slack below the window end
  // plus their level's slack (nothing from another rank reaches them earlier), in tick order
  // over the levels, until the exchange is ready. The others wait for the next window.
  void HandleEarly(M& model) {
    uint32_t handled = 0;
    for (;;) {
      if ((++handled & 15) == 0 && transport_.WindowReady()) break;
      const int level = EarliestLevel(true);
      if (level < 0) break;
      const Entry e = early_[level].top();
      early_[level].pop();
      in_early_ = true;
      Handle(model, e);
      in_early_ = false;
      ++stats_.early_events;
    }
  }

  void Handle(M& model, const Entry& e) {
    now_ = e.tick;
    last_tick_ = e.tick;
    last_rest_ = e.rest;
    node_last_[e.node] = e.tick;
    CheckContext::Now() = now_;
    const EventHead head{e.tick, static_cast<uint8_t>(e.rest >> 56), e.node,
                         static_cast<NodeId>((e.rest >> 32) & 0xFFFFFF)};
    Dispatch(model, head, e.slot >> kSlotBits, e.slot & ((1u << kSlotBits) - 1), std::index_sequence_for<P...>{});
    ++stats_.events;
  }

  template <size_t... I>
  void Dispatch(M& model, const EventHead& head, uint32_t type, uint32_t slot, std::index_sequence<I...>) {
    // The payload stays put in its slab while the handler schedules more, then is destroyed.
    ((type == I ? (model.Handle(head, std::get<I>(slabs_)[slot]), std::get<I>(slabs_).Release(slot), 0) : 0), ...);
  }

  void Receive(std::span<const std::byte> buf, Tick window_end, uint64_t* count = nullptr,
               bool check_rank_past = false) {
    ByteReader r(buf);
    while (!r.done()) {
      const auto type = r.Get<uint8_t>();
      const auto tick = r.Get<Tick>();
      const auto rest = r.Get<uint64_t>();
      const auto node = r.Get<NodeId>();
      MOEFAB_CHECK(node < owner_.size() && Owns(node), "received an event for node " << node << " not owned here");
      MOEFAB_CHECK(tick >= window_end,
                   "received an event at " << tick << " inside the window that ended at " << window_end);
      // Never in its node's past (nor, in the asynchronous protocol, in this rank's).
      MOEFAB_CHECK(tick > node_last_[node] || stats_.events == 0,
                   "received an event at tick " << tick << " (class " << (rest >> 56) << ") for node " << node
                                                << " after handling tick " << node_last_[node] << " there");
      MOEFAB_CHECK(
          !check_rank_past || tick > last_tick_ || (tick == last_tick_ && rest > last_rest_) || stats_.events == 0,
          "received an event at tick " << tick << " (class " << (rest >> 56) << ") for node " << node
                                       << " after handling tick " << last_tick_ << ": a horizon was wrong");
      DecodeInto(type, tick, rest, node, r, std::index_sequence_for<P...>{});
      if (count) ++*count;
    }
  }

  // A checkpoint's payload of type I (engine_checkpoint.h).
  template <size_t I>
  void ReadPayload(StateReader& r, Tick tick, uint64_t rest, NodeId node) {
    std::tuple_element_t<I, std::tuple<P...>> payload{};
    r(payload);
    Push<static_cast<uint8_t>(I)>(tick, rest, node, std::move(payload));
  }

  template <size_t... I>
  void DecodeInto(uint8_t type, Tick tick, uint64_t rest, NodeId node, ByteReader& r, std::index_sequence<I...>) {
    MOEFAB_CHECK(type < sizeof...(P), "received an event of unknown payload type " << int{type});
    ((type == I ? (Push<I>(tick, rest, node, std::tuple_element_t<I, std::tuple<P...>>::Decode(r)), 0) : 0), ...);
  }

  void Clear() {
    for (auto& q : early_) {
      while (!q.empty()) {
        const Entry e = q.top();
        q.pop();
        ReleaseAny(e.slot >> kSlotBits, e.slot & ((1u << kSlotBits) - 1), std::index_sequence_for<P...>{});
      }
    }
    while (!heap_.empty()) {
      const Entry e = heap_.top();
      heap_.pop();
      ReleaseAny(e.slot >> kSlotBits, e.slot & ((1u << kSlotBits) - 1), std::index_sequence_for<P...>{});
    }
  }
  template <size_t... I>
  void ReleaseAny(uint32_t type, uint32_t slot, std::index_sequence<I...>) {
    ((type == I ? (std::get<I>(slabs_).Release(slot), 0) : 0), ...);
  }

  Transport& transport_;       // borrowed; outlives the engine
  std::vector<RankId> owner_;  // node -> rank
  Tick lookahead_ps_;          // window length (ps); kTickMax = unbounded
  Tick reply_ps_ = kTickMax;   // SetReplyDelay (kTickMax: the lookahead)
  std::shared_ptr<spdlog::logger> log_;
  RadixQueue<Entry, Later> heap_;               // this rank's events (but for:)
  std::vector<RadixQueue<Entry, Later>> early_;  // per slack level: those of its nodes
  std::vector<Tick> level_slack_;               // per slack level: how far past a window end it may run (ps)
  std::vector<uint8_t> level_of_;               // per node: 0 (no slack) or 1 + its slack level
  static constexpr size_t kSlackLevels = 4;     // at most this many levels (each a queue to look at)
  bool in_early_ = false;                       // handling an event early
  std::vector<Tick> node_last_;           // per node: tick of the last event handled there
  std::tuple<detail::Slab<P>...> slabs_;  // their payloads, one slab per type
  std::vector<uint64_t> next_seq_;        // per node: next origin sequence number
  std::vector<Bytes> outbox_;             // per destination rank: serialised events not sent yet
  Tick outbox_min_ = kTickMax;            // earliest event in the outboxes
  std::vector<Tick> outbox_min_by_;       // per destination rank: earliest event in its outbox
  std::vector<uint64_t> outbox_events_;   // per destination rank: events in its outbox
  static constexpr RankId kNoRank = ~RankId{0};
  RankId sent_to_ = kNoRank;  // a rank the event being handled sent to (asynchronous protocol)
  // The asynchronous protocol's causality check: the key of the last event handled here.
  Tick last_tick_ = 0;
  uint64_t last_rest_ = 0;
  Tick checkpoint_every_ps_ = 0;              // SetCheckpoints (0: never)
  std::function<void(Tick)> checkpoint_;      // ... its callback
  Tick next_checkpoint_ = kTickMax;           // windows end here until the next checkpoint is taken
  Tick now_ = 0;         // tick of the event being handled
  Tick window_end_ = 0;  // events at or after this tick wait for this rank's next window
  Tick all_done_ = 0;    // no rank's window ends before this tick (all_done())
  EngineStats stats_;
  WindowWorkRecord window_work_;  // per window: this rank's work (parallel runs)
};

}  // namespace moefab::pdes

#include "runtime/pdes/engine_windows.h"     // Run
#include "runtime/pdes/engine_async.h"       // RunAsync
#include "runtime/pdes/engine_checkpoint.h"  // SaveState, LoadState
