// Private to fabric/network*.cc: the insides of Network. Its wirings (Network::Epoch), the
// per-node router state (NodeState) and its parts (queued packet slots, outputs, reassembly),
// and Network::Impl, which declares the construction steps, the event handlers and the per-hop
// helpers that fabric/network.h keeps out of the API. Not installed, not part of the API.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "fabric/network.h"
#include "fabric/serialization.h"

// MOEFAB_CHECK for the per-hop handlers: the message is built in a cold lambda of its own, so
// the handler keeps a small stack frame and few saved registers on the path that passes.
#define MOEFAB_HOT_CHECK(cond, msg)                                               \
  do {                                                                            \
    if (!(cond)) [[unlikely]] {                                                   \
      [&]() __attribute__((noinline, cold)) {                                     \
        std::ostringstream moefab_check_os_;                                      \
        moefab_check_os_ << msg;                                                  \
        ::moefab::CheckFailed(__FILE__, __LINE__, #cond, moefab_check_os_.str()); \
      }                                                                           \
      ();                                                                         \
    }                                                                             \
  } while (0)

namespace moefab::fabric {

namespace detail {

inline constexpr std::uint32_t kNil = ~0u;

// A packet waiting in a router: in a virtual output queue (input, output).
struct Slot {
  PacketHeader h;
  std::shared_ptr<const Payload> data;  // message bytes (shared), or null
  std::uint64_t data_offset = 0;        // message offset of data->front()
  Tick wait_since_ps = 0;               // entered its current queue
  std::uint32_t next = kNil;            // next slot in the same queue
  std::uint32_t input = 0;              // in_port * V + vc, or the injection input
  PortId out = 0;                       // output port chosen by routing
  std::uint32_t out_vc = 0;             // VC of the downstream buffer

  template <class Ar>
  void Archive(Ar& ar) {
    ar(h, data, data_offset, wait_since_ps, next, input, out, out_vc);
  }
};

struct Output {
  Tick busy_until_ps = 0;        // the last tail leaves at this tick
  Tick progress_ps = 0;          // last departure, or when packets started to wait
  std::uint32_t waiting = 0;     // packets queued for this output
  std::uint32_t rr = 0;          // round-robin: first input to consider
  std::uint32_t link_epoch = 0;  // wiring epoch in which the current link was installed
  std::uint32_t deferred = 0;    // DeferredCredits of this output (none while packets wait)
  bool free_pending = false;     // a kOutputFree event is scheduled
  bool draining = false;         // a reconfiguration holds this output
  // The current link of this port (a copy of the wiring's OutLink, refreshed on rewiring). The
  // same port's input buffer is fed by the reverse link, so credits go back over it too.
  bool present = false;   // a link is installed
  bool dateline = false;  // the link is a wrap link (DOR datelines)
  bool linear = false;    // n flits take exactly n * flit_ps (bandwidth divides evenly)
  PortId dst_port = 0;    // input port at the far end
  NodeId dst = kNoNode;   // far end
  Tick latency_ps = 0;    // wire latency
  Tick flit_ps = 0;       // serialization of one flit
  std::uint64_t bandwidth_mbytes_per_s = 0;
  // Statistics.
  std::uint64_t packets = 0;
  std::uint64_t flits = 0;
  std::uint64_t bytes = 0;
  Tick busy_ps = 0;
  std::uint32_t peak_waiting = 0;
};

// A credit for an output of this node, held without an event (see "Credits without events" in
// network_router.cc): applied when the node handles an event at or after `tick`, or scheduled
// under its reserved key (origin, seq) if a packet starts to wait at `port` before then.
struct DeferredCredit {
  Tick tick;          // when it reaches this node
  std::uint64_t seq;  // reserved sequence number of `origin`
  NodeId origin;      // the downstream node that freed the flits
  PortId port;        // output of this node
  std::uint32_t vc;   // of the downstream buffer
  std::uint32_t flits;
};

struct Reassembly {
  std::uint32_t received = 0;            // packets so far
  std::vector<bool> got;                 // per packet index: arrived (no duplicates)
  std::shared_ptr<const Payload> whole;  // all packets so far shared this full buffer
  std::shared_ptr<Payload> assembled;    // else: bytes copied in by offset

  template <class Ar>
  void Archive(Ar& ar) {
    ar(received, got, whole, assembled);
  }
};

}  // namespace detail

struct NodeState {
  NodeId id = 0;
  std::uint32_t epoch = 0;                                       // wiring in force at this node
  std::vector<detail::Slot> slots;                               // packet pool
  std::vector<std::uint32_t> free_slots;                         // unused pool entries
  std::vector<std::uint32_t> head, tail;                         // [input * P + out]: queue of slots
  std::vector<std::uint64_t> mask;                               // [out * words + w]: inputs with a queue
  std::vector<detail::Output> out;                               // per output port
  std::vector<std::uint32_t> credits;                            // [out * V + vc]: free flits downstream
  std::vector<std::uint32_t> occupancy;                          // [in_port * V + vc]: flits held
  std::vector<std::uint32_t> peak;                               // [in_port * V + vc]: most flits held
  std::vector<std::uint32_t> in_epoch;                           // [in_port]: epoch of the incoming link
  std::vector<detail::DeferredCredit> deferred;                  // credits held without events
  Tick deferred_min = kTickMax;                                  // earliest tick among them
  bool watchdog_pending = false;                                 // a kWatchdog event is scheduled
  std::uint64_t next_message = 0;                                // per-source message counter
  std::uint64_t held = 0;                                        // slots in use
  std::unordered_map<MessageId, detail::Reassembly> reassembly;  // by message (never iterated)
  NodeStats stats;
  std::vector<ReconfigStats> reconfig;         // this node's share of each reconfiguration
  std::vector<std::uint32_t> drained_reports;  // controller: nodes drained, per reconfig

  /// Checkpoints: everything above but the id (core/state_archive.h).
  template <class Ar>
  void Archive(Ar& ar) {
    ar(epoch, slots, free_slots, head, tail, mask, out, credits, occupancy, peak, in_epoch, deferred, deferred_min,
       watchdog_pending, next_message, held, reassembly, stats, reconfig, drained_reports);
  }
};

using detail::kNil;

// TrackRanks' bookkeeping: which nodes are on other ranks, which inputs other ranks feed, the
// packets sent to other ranks that have not arrived yet, and the packets waiting at those
// inputs (see Network::CrossRankHorizon).
struct Network::RankTracking {
  using BoundHeap =  // (bound on a credit, arrival tick of its packet), smallest bound on top
      std::priority_queue<std::pair<Tick, Tick>, std::vector<std::pair<Tick, Tick>>, std::greater<>>;
  RankId me = 0;                                 // this process's rank
  std::vector<RankId> owner;                     // per node: its rank
  std::vector<std::uint8_t> remote;              // per node: owned by another rank
  std::vector<std::uint8_t> cut_input;           // [node * ports + port]: the port's link comes from another rank
  Tick lookahead_ps = kTickMax;                  // CrossRankLookaheadPs
  std::vector<Tick> peer_lookahead_ps;           // per rank: PacketLookaheadPs
  std::vector<Tick> credit_wire_ps;              // per rank: smallest latency of a link from here to it
                                                 // (the wire a credit for a packet from it takes back)
  std::uint64_t max_bandwidth_mbytes_per_s = 0;  // fastest link: serialisation lower bounds
  std::vector<BoundHeap> sent;                   // per rank: packets in flight to it
  std::vector<std::map<std::uint32_t, std::uint32_t>> waiting;  // per upstream rank: flits -> packets
                                                                // waiting at cut inputs it feeds
  bool enabled = false;  // false with reconfigurations: the static lookahead holds

  /// Checkpoints: the packets in flight and waiting (the rest follows from TrackRanks).
  template <class Ar>
  void Archive(Ar& ar) {
    ar(sent, waiting);
  }
};

// One wiring: epoch 0, then one per reconfiguration.
struct Network::Epoch {
  std::shared_ptr<const Topology> topology;
  std::unique_ptr<RoutingTable> table;        // null under DOR
  std::uint32_t diameter = 0;                 // hops
  std::vector<std::vector<PortId>> affected;  // per node: ports rewired entering this epoch
};

// The functions behind Network, as static members so that they reach its private state. The
// packet path (Inject, Handle and the per-hop helpers) is a template on the context, defined in
// network_router.cc and instantiated there for NetContext (the runtime, tests) and for
// SequentialDriver (final: its queue inlines into the handlers); Emit, Enqueue and TryOutput are
// also instantiated for NetContext for the rewiring and watchdog files.
struct Network::Impl {
  // Construction (network.cc), in the order the constructor runs them.
  /// Epoch 0's wiring, then one per reconfiguration (times, controller, control latency).
  static void BuildEpochs(Network& net, const TopologyOptions& topology);
  /// Resolves the routing algorithm; builds each epoch's routing table and diameter.
  static void ResolveRouting(Network& net);
  /// Resolves the deadlock scheme and the VCs it needs (ConfigError if num_vcs is too low).
  static void ResolveVcs(Network& net);
  /// Buffer flits per (input port, VC): one credit round trip + 2 packets unless given.
  static void SizeBuffers(Network& net);
  /// Per later epoch: the ports of each node whose link a reconfiguration changes.
  static void FindRewiredPorts(Network& net);
  /// The PDES lookahead over all wirings (MinCrossNodeDelayPs).
  static void ComputeLookahead(Network& net);
  /// Epoch 0's shape for the DOR fast path in RouteHeader.
  static void CacheDorShape(Network& net);
  /// Per-node state: queues, outputs with their links, credits, buffers, rewiring counters.
  static void InitNodes(Network& net);
  /// Copies `link` into the output's cached timing (kept across a rewiring to an absent link).
  static void CacheLinkTiming(const Network& net, detail::Output& out, const OutLink& link);

  // The packet path (network_router.cc).
  template <class Ctx>
  static MessageId InjectT(Network& net, const MessageSpec& spec, Ctx& ctx);
  template <class Ctx>
  static void HandleT(Network& net, NetEvent& e, Ctx& ctx);
  template <class Ctx>
  static void OnInject(Network& net, NodeState& s, NetEvent& e, Ctx& ctx);
  template <class Ctx>
  static void OnPacket(Network& net, NodeState& s, NetEvent& e, Ctx& ctx);
  template <class Ctx>
  static void OnCredit(Network& net, NodeState& s, const NetEvent& e, Ctx& ctx);
  /// Applies the deferred credits of node s that have reached it by `now`.
  static void AbsorbCredits(Network& net, NodeState& s, Tick now);
  /// A packet starts to wait at output o: its deferred credits become events (reserved keys).
  template <class Ctx>
  static void ScheduleDeferred(NodeState& s, PortId o, Ctx& ctx);
  /// A packet slot from the node's pool.
  static std::uint32_t NewSlot(NodeState& s);
  /// Re-routes a queued packet (after a rewiring).
  static void Route(Network& net, NodeState& s, std::uint32_t slot);
  /// Chooses (output port, VC) for a packet at node s; updates its DOR state.
  static std::pair<PortId, std::uint32_t> RouteHeader(Network& net, NodeState& s, PacketHeader& h);
  /// The fast path: an idle output with credits and nobody waiting sends at once.
  static bool CanSendNow(const Network& net, const NodeState& s, PortId out, std::uint32_t vc, std::uint32_t flits,
                         Tick now);
  template <class Ctx>
  static void Enqueue(Network& net, NodeState& s, std::uint32_t slot, Tick now, Ctx& ctx);
  template <class Ctx>
  static void TryOutput(Network& net, NodeState& s, PortId out, Tick now, Ctx& ctx);
  template <class Ctx>
  static void ScheduleOutputFree(NodeState& s, PortId out, Tick at_ps, Ctx& ctx);
  template <class Ctx>
  static void Transmit(Network& net, NodeState& s, PortId out, std::uint32_t input, Tick now, Ctx& ctx);
  template <class Ctx>
  static void Send(Network& net, NodeState& s, PortId out, std::uint32_t input, std::uint32_t out_vc,
                   const PacketHeader& h, std::shared_ptr<const Payload>&& data, std::uint64_t data_offset, Tick now,
                   Ctx& ctx);
  template <class Ctx>
  static void DeliverPacket(Network& net, NodeState& s, NetEvent& e, Tick now, Ctx& ctx);
  template <class Ctx>
  static void ReturnCredit(Network& net, NodeState& s, PortId in_port, std::uint32_t vc, std::uint32_t flits,
                           Tick at_ps, Ctx& ctx);
  /// Sets e.origin to the handling node and schedules e.
  template <class Ctx>
  static void Emit(NodeState& s, NetEvent&& e, Ctx& ctx);

  // Cross-rank horizon bookkeeping (network_horizon.cc), only after TrackRanks.
  /// A packet leaves `out` for another rank, arriving (ready there) at `arrival_ps`.
  static void TrackSent(Network& net, const detail::Output& out, const PacketHeader& h, Tick arrival_ps);
  /// Packet `p` starts (TrackWaiting) or stops (TrackLeft) waiting at node s.
  static void TrackWaiting(Network& net, const NodeState& s, const detail::Slot& p);
  static void TrackLeft(Network& net, const NodeState& s, const detail::Slot& p);

  // Checkpoints (network_state.cc): the same member list writes and reads.
  template <class Ar>
  static void ArchiveState(Network& net, Ar& ar, const std::vector<NodeId>& nodes);

  // Watchdog (network_watchdog.cc).
  static void ArmWatchdog(Network& net, NodeState& s, NetContext& ctx);
  static void OnWatchdog(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx);
  /// The chain of blocked links from (node, out), for a StallError.
  static std::string BlockedCycle(const Network& net, NodeId node, PortId out);

  // Rewiring (network_reconfig.cc).
  static void OnReconfigBegin(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx);
  static void OnReconfigDrained(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx);
  static void OnReconfigInstall(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx);
};

}  // namespace moefab::fabric
