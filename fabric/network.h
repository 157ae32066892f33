// Network: routers, finite buffers with credits, virtual channels, packetisation and
// reassembly, OCS rewiring and a stall watchdog, driven event by event by a PDES engine.
//
// Models, per node: an input buffer per (input port, VC) of `buffer_flits` flits, organised as
// virtual output queues (no head-of-line blocking between outputs); one output per port with
// credit counters for the downstream buffers; a round-robin switch allocator per output; an
// injection queue per output (the chip's source queue, unbounded) and an ejection port of
// unbounded bandwidth. Virtual cut-through (default): a packet may leave once its head has
// arrived and the router delay has passed, if the downstream (port, VC) has room for the
// whole packet; store-and-forward waits for the tail. Serialization at the link bandwidth in
// whole flits, wire latency per link, credits returned when a packet's tail leaves a buffer
// and carried back over the reverse link's latency. Deadlock avoidance: datelines with 2 VC
// classes under DOR on tori (class 0 before a dimension's wrap link, class 1 on and after it;
// extra VCs shared within a class), hop-count VC
// escalation for table routing (README).
// Omits: flit-level wormhole (buffers hold whole packets), router pipeline stages beyond one
// fixed delay, link errors and retries, ejection bandwidth (the chip's ingress limits it),
// energy, bubble flow control.
//
// Ownership contract (PDES): the state of node n (its router, buffers, credits, outputs,
// reassembly and statistics) is touched only by Handle(e) with e.node == n and by
// Inject(spec) with spec.src == n, both at ctx.Now(). Everything a handler causes elsewhere is
// an event it schedules through NetContext at a tick >= now + MinCrossNodeDelayPs(). See
// fabric/README.md for the full contract the runtime follows.
//
// This header is the API. The handlers, the per-hop helpers and the router state behind it
// (Network::Impl, Network::Epoch, NodeState) are in fabric/network_internal.h.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "core/types.h"
#include "fabric/routing.h"
#include "fabric/topology.h"

namespace moefab {
class StateWriter;  // core/state_archive.h
class StateReader;
}  // namespace moefab

namespace moefab::fabric {

/// Message bytes (real activation data). Shared, never copied per hop.
using Payload = std::vector<std::int8_t>;
/// Unique per message: (source node << 40) | per-source sequence number.
using MessageId = std::uint64_t;

enum class FlowControl : std::uint8_t {
  kVirtualCutThrough = 0,  // forward after the head arrives (default)
  kStoreAndForward = 1,    // forward after the tail arrives
};

enum class DeadlockAvoidance : std::uint8_t {
  kAuto = 0,         // dateline under DOR, hop-count VCs under tables
  kDateline = 1,     // DOR on torus/mesh: VC class 0 before a dimension's wrap link, 1 on and after
  kHopCountVcs = 2,  // table routing: a packet's h-th hop uses VC h (needs VCs >= diameter)
  kNone = 3,         // one VC class, no protection: may deadlock (for tests of the watchdog)
};

/// An OCS rewiring: at `at_ps` the face ports are re-paired as `ocs` (kOcsCubes only).
struct Reconfiguration {
  Tick at_ps = 0;                  // when the controller starts draining, ps
  std::vector<OcsConnection> ocs;  // the new permutation (replaces the previous one)
};

struct NetworkOptions {
  Tick router_delay_ps = 20000;     // per hop: head (VCT) or tail (SAF) arrival -> may leave
  Tick credit_delay_ps = 0;         // a returned credit becomes usable upstream this long after
                                    // it arrives (credit processing); raises the PDES lookahead
  Tick injection_latency_ps = 0;    // chip -> its router: the injection channel, before the router
  Tick ejection_latency_ps = 0;     // router -> its chip: the ejection channel, after the last hop
  std::uint32_t flit_bytes = 64;    // flow-control unit: buffers and credits count flits
  std::uint32_t header_bytes = 16;  // per packet, on the wire with the payload
  std::uint32_t mtu_bytes = 4096;   // largest payload per packet; messages are split
  FlowControl flow_control = FlowControl::kVirtualCutThrough;
  RoutingAlgorithm routing = RoutingAlgorithm::kAuto;
  DeadlockAvoidance deadlock = DeadlockAvoidance::kAuto;
  std::uint32_t num_vcs = 0;                      // per input port; 0 = what the deadlock scheme needs
  std::uint32_t buffer_flits = 0;                 // per (input port, VC); 0 = one credit round trip + 2 packets
  Tick watchdog_ps = 1'000'000'000;               // an output with waiting packets that sends nothing this
                                                  // long (ps) is a stall: StallError. 0 disables.
  std::vector<Reconfiguration> reconfigurations;  // in increasing at_ps
  Tick ocs_switch_ps = 10'000'000;                // optical links down while the mirrors move (ps)
  Tick control_latency_ps = 1'000'000;            // node <-> OCS controller messages (ps), > 0
  NodeId ocs_controller = 0;                      // node hosting the controller's events
};

/// A message handed to the fabric by the chip at `src`.
struct MessageSpec {
  NodeId src = 0;                       // injecting node (the handler's node)
  NodeId dst = 0;                       // destination node
  std::uint64_t bytes = 0;              // payload bytes (0 allowed: one header-only packet)
  std::uint64_t tag = 0;                // opaque to the fabric, returned on delivery
  std::shared_ptr<const Payload> data;  // the bytes (size == bytes) or null (timing only)
};

/// A reassembled message handed to the chip at `dst`.
struct DeliveredMessage {
  MessageId id = 0;
  NodeId src = 0;
  NodeId dst = 0;
  std::uint64_t tag = 0;
  std::uint64_t bytes = 0;
  std::uint32_t packets = 0;            // packets it travelled in
  Tick injected_ps = 0;                 // Inject() tick
  Tick delivered_ps = 0;                // == ctx.Now() at delivery
  std::shared_ptr<const Payload> data;  // the bytes in order, or null if sent without data
};

/// Per-packet header fields; travels with the packet from hop to hop.
struct PacketHeader {
  MessageId message = 0;
  std::uint64_t tag = 0;  // message tag
  NodeId src = 0;
  NodeId dst = 0;
  std::uint32_t index = 0;          // packet index within the message
  std::uint32_t count = 1;          // packets in the message
  std::uint64_t offset = 0;         // byte offset of this packet's payload in the message
  std::uint64_t message_bytes = 0;  // whole message payload, bytes
  std::uint32_t payload_bytes = 0;  // this packet's payload, bytes
  std::uint32_t flits = 1;          // this packet on the wire: ceil((header + payload) / flit)
  Tick created_ps = 0;              // message Inject() tick
  Tick tail_ps = 0;                 // tail arrives at the router handling the event
  std::uint16_t hops = 0;           // links traversed so far
  std::uint8_t dim = 0xFF;          // DOR: dimension being travelled (0xFF: none yet)
  std::uint8_t dim_vc = 0;          // DOR: VC chosen on entering the dimension
  std::uint8_t crossed = 0;         // DOR: crossed this dimension's dateline
};

/// Kinds of fabric events; the value is the `kind` component of the event order key.
enum class NetEventKind : std::uint8_t {
  kCredit = 0,           // `value` flits of VC `vc` freed downstream of output `port`
  kCreditSync = 1,       // after a rewiring: the new downstream buffer of `port` has `value` free
  kOutputFree = 2,       // output `port` finished serializing; arbitrate again
  kPacket = 3,           // packet ready at input `port`, VC `vc` (head + router delay; at the
                         // destination: tail + router delay)
  kInject = 4,           // message from the local chip ready at the router (Inject + delay)
  kWatchdog = 5,         // check outputs for stalls
  kReconfigBegin = 6,    // reconfiguration `value` starts: stop using affected outputs
  kReconfigDrained = 7,  // at the controller: a node has drained its affected links
  kReconfigInstall = 8,  // the new wiring and routing tables are live
};
inline constexpr std::uint32_t kNumNetEventKinds = 9;

/// One fabric event. `node` is the only node whose state its handler touches. The order key
/// is (tick, kind, origin, seq); Network sets origin, the engine assigns seq.
struct NetEvent {
  Tick tick = 0;
  NetEventKind kind = NetEventKind::kPacket;
  NodeId node = 0;                      // handled by this node's owner
  NodeId origin = 0;                    // node whose handler created it (order key)
  std::uint64_t seq = 0;                // per-origin creation counter (engine-assigned)
  PortId port = 0;                      // input port (kPacket) or output port (credits, free)
  std::uint32_t vc = 0;                 // virtual channel
  std::uint32_t value = 0;              // credits in flits, or the reconfiguration index
  std::uint32_t epoch = 0;              // credits: wiring epoch of the link they belong to
  PacketHeader packet;                  // kPacket, kInject
  std::shared_ptr<const Payload> data;  // kPacket, kInject: message bytes covering ...
  std::uint64_t data_offset = 0;        // ... message offsets [data_offset, + data->size())

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(tick, kind, node, origin, seq, port, vc, value, epoch, packet, data, data_offset);
  }
};

/// What the engine offers a handler.
class NetContext {
 public:
  virtual ~NetContext() = default;
  /// Tick of the event being handled (or of the Inject call).
  virtual Tick Now() const = 0;
  /// Queue an event. The fabric guarantees e.tick >= Now(), and e.tick >= Now() +
  /// MinCrossNodeDelayPs() when e.node differs from the handling node.
  virtual void Schedule(NetEvent&& e) = 0;
  /// Hand a complete message to the chip at m.dst (the handling node) at Now().
  virtual void Deliver(DeliveredMessage m) = 0;

  // Deferred credits (Network: "Credits without events"). A context that returns true lets the
  // fabric hold a credit for a router of this process without an event while no packet waits
  // at the output it feeds, and schedule it later, if one starts to wait, under the order key it
  // would have had: ReserveSeq takes the sequence number Schedule would have given it now, and
  // ScheduleReserved queues an event with e.seq set to such a number.
  virtual bool DefersCredits() const { return false; }
  virtual std::uint64_t ReserveSeq(NodeId origin);
  virtual void ScheduleReserved(NetEvent&& e);
};

/// Thrown by Handle when the watchdog sees an output with waiting packets send nothing for
/// watchdog_ps: names the cycle of blocked links. A run error, not a bug in the fabric.
class StallError : public std::runtime_error {
 public:
  explicit StallError(const std::string& what) : std::runtime_error(what) {}
};

/// Log-linear latency histogram: exact below 64 ps, else 64 sub-buckets per power of two
/// (relative error < 1.6%). Memory grows with the largest value, not the count.
class LatencyHistogram {
 public:
  void Add(Tick value_ps);
  /// Count, sum and maximum only (no bucket): a per-node summary beside a shared histogram.
  void AddSummary(Tick value_ps) {
    ++count_;
    sum_ += static_cast<double>(value_ps);
    max_ = value_ps > max_ ? value_ps : max_;
  }
  void Merge(const LatencyHistogram& other);
  std::uint64_t count() const { return count_; }
  double Mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  Tick Max() const { return max_; }
  /// Smallest bucket value v with at least q * count samples <= v (q in [0, 1]).
  Tick Percentile(double q) const;

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(buckets_, count_, sum_, max_);
  }

 private:
  std::vector<std::uint64_t> buckets_;  // counts per bucket
  std::uint64_t count_ = 0;             // samples
  double sum_ = 0;                      // sum of samples, ps
  Tick max_ = 0;                        // largest sample, ps
};

/// Statistics of one output port (directed link), accumulated over all wirings.
struct LinkStats {
  NodeId src = 0;
  PortId port = 0;
  NodeId dst = kNoNode;  // far end in the current wiring
  PortId dst_port = 0;
  LinkClass link_class = LinkClass::kElectrical;
  std::uint64_t packets = 0;
  std::uint64_t flits = 0;
  std::uint64_t bytes = 0;                 // header + payload
  Tick busy_ps = 0;                        // serializing
  std::uint32_t peak_waiting_packets = 0;  // most packets queued for this output at once
  std::uint32_t peak_buffer_flits = 0;     // fullest VC buffer at the far end's input port
};

/// Totals of one node (injection side and ejection side).
struct NodeStats {
  std::uint64_t messages_injected = 0;
  std::uint64_t packets_injected = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t packets_delivered = 0;
  std::uint64_t flits_delivered = 0;
  std::uint64_t bytes_delivered = 0;  // payload
  std::uint64_t packet_hops = 0;      // links traversed by packets leaving this node
  std::uint64_t vc_overflows = 0;     // hop-count VC clamped (see README)
  // Inject -> packet / message delivered, ps. Per node (Stats): count, mean and maximum only;
  // the buckets (percentiles) are kept once for all nodes and filled in by TotalStats.
  LatencyHistogram packet_latency;
  LatencyHistogram message_latency;

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(messages_injected, packets_injected, messages_delivered, packets_delivered, flits_delivered, bytes_delivered,
       packet_hops, vc_overflows, packet_latency, message_latency);
  }
};

/// One OCS reconfiguration as it happened.
struct ReconfigStats {
  Tick begin_ps = 0;                  // traffic stopped on affected links
  Tick drained_ps = 0;                // controller knew every node had drained
  Tick installed_ps = 0;              // new wiring and tables live
  std::uint64_t affected_links = 0;   // directed links rewired
  std::uint64_t delayed_packets = 0;  // packets that waited for an affected link
  std::uint64_t delayed_bytes = 0;    // their payload bytes
  Tick delayed_ps = 0;                // sum of their waits from begin (or arrival) to install
};

class SequentialDriver;  // fabric/driver.h
struct NodeState;        // per-node router state, fabric/network_internal.h

class Network {
 public:
  /// Validates everything (ConfigError: field, value, expectation), builds the wiring of
  /// every epoch and its routing tables.
  static std::unique_ptr<Network> Make(const TopologyOptions& topology, const NetworkOptions& options);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const NetworkOptions& options() const { return options_; }
  /// Wiring of epoch 0 (before any reconfiguration) or of a later epoch.
  const Topology& topology(std::uint32_t epoch = 0) const;
  std::uint32_t num_epochs() const;
  std::uint32_t num_nodes() const;
  std::uint32_t num_vcs() const { return num_vcs_; }
  std::uint32_t buffer_flits() const { return buffer_flits_; }
  RoutingAlgorithm routing() const { return routing_; }
  DeadlockAvoidance deadlock() const { return deadlock_; }
  /// Hops of the route from src to dst in epoch 0 (DOR or shortest path).
  std::uint32_t Hops(NodeId src, NodeId dst) const;
  /// The deterministic next port from `at` towards dst for a packet from src in epoch 0: DOR,
  /// or the lowest productive port of the table. kLocalPort at dst.
  PortId RoutePort(NodeId at, NodeId dst, NodeId src) const;
  /// Largest Hops over all pairs in epoch 0.
  std::uint32_t Diameter() const;
  /// Flits of a packet carrying `payload_bytes`.
  std::uint32_t PacketFlits(std::uint64_t payload_bytes) const;

  /// Events the owner of `node` schedules before the run (reconfiguration steps).
  std::vector<NetEvent> InitialEvents(NodeId node) const;
  /// The chip at spec.src hands over a message at ctx.Now(); call only while handling an
  /// event of node spec.src (or before the run). Returns its id.
  MessageId Inject(const MessageSpec& spec, NetContext& ctx);
  /// Handles one event of node e.node at ctx.Now() == e.tick. May throw StallError.
  void Handle(NetEvent& e, NetContext& ctx);
  /// The same for the sequential driver (its queue inlined into the handlers).
  MessageId Inject(const MessageSpec& spec, SequentialDriver& ctx);
  void Handle(NetEvent& e, SequentialDriver& ctx);

  /// PDES lookahead: the smallest delay of any event scheduled on another node (smallest wire
  /// latency over all wirings; the OCS control latency when reconfigurations are set).
  Tick MinCrossNodeDelayPs() const { return min_cross_ps_; }
  /// The same restricted to events that cross ranks: links whose ends have different owners
  /// (owner[n] = rank of node n). kTickMax when nothing crosses.
  Tick MinCrossNodeDelayPs(const std::vector<RankId>& owner) const;

  /// PDES across ranks with a horizon from the network's state ("earliest output time"). After
  /// TrackRanks, this process (rank `me` of `owner`) records the packets it sends to other
  /// ranks and the packets waiting at its inputs fed by other ranks, so that:
  /// - CrossRankLookaheadPs() is the smallest delay of a packet crossing ranks (wire + one flit
  ///   + router delay over the cut links; credits are left to the horizon). With
  ///   reconfigurations set it is MinCrossNodeDelayPs(owner) and the horizon says nothing.
  /// - CrossRankHorizon(window_end), after every event before window_end was handled on every
  ///   rank, bounds the credits that cross ranks: a credit leaves a buffer fed by another rank
  ///   only for a packet that arrived there, which is either in flight from this rank (its
  ///   credit comes back a wire (and, if it goes on, a serialisation) after its arrival:
  ///   `credits_in`) or waiting here (its credit leaves a serialisation and a wire after it
  ///   does, at or after the next window's start: `credits_out_after`). Same results as
  ///   without: it only tells when events can cross.
  struct RankHorizon {
    Tick credits_in = kTickMax;         // no credit from another rank to this one before this tick
    Tick credits_out_after = kTickMax;  // none from this rank before the next window's start plus this
  };
  void TrackRanks(const std::vector<RankId>& owner, RankId me);
  Tick CrossRankLookaheadPs() const;
  RankHorizon CrossRankHorizon(Tick window_end);
  /// The same per peer rank, for engines without global windows. PacketLookaheadPs(peer): the
  /// smallest delay of a packet from this rank to `peer` (kTickMax: no link between them).
  /// PeerBound(peer, peer_done), once `peer` has handled every event before `peer_done`:
  /// `credits_in` bounds the credits `peer` may still send to this rank for packets this rank
  /// sent it (absolute); `credits_out_after` bounds the credits this rank may send to `peer`
  /// for packets waiting here, counted from this rank's next event.
  struct PeerHorizon {
    Tick credits_in = kTickMax;
    Tick credits_out_after = kTickMax;
  };
  Tick PacketLookaheadPs(RankId peer) const;
  /// Per node: how long after a window's end an event from another rank can reach it at the
  /// earliest: its distance in hops from the nearest node another rank owns, less one, times
  /// the smallest delay between two nodes (0 next to another rank's node, and 0 everywhere
  /// with reconfigurations: the wiring changes).
  std::vector<Tick> CrossRankSlackPs() const;
  PeerHorizon PeerBound(RankId peer, Tick peer_done);

  // Statistics: read them after the run (each rank reads its own nodes).
  std::vector<LinkStats> LinkReport() const;  // present links of each node's current wiring
  const NodeStats& Stats(NodeId node) const;
  NodeStats TotalStats() const;  // summed over all nodes
  std::vector<ReconfigStats> ReconfigReport() const;
  /// Packets held in routers (buffers and source queues) and messages being reassembled.
  std::uint64_t PacketsHeld() const;
  /// A hint: the next event is for `node`; starts loading its router state into the caches.
  void Prefetch(NodeId node) const;
  /// Credits applied, or still held, without an event of their own (deferred credits,
  /// network_router.cc): each stands for the kCredit event it replaced, so after a run engine
  /// events + this is the same for any split of the nodes over ranks.
  std::uint64_t CreditsWithoutEvents() const;
  /// Checkpoints (core/state_archive.h): writes the state of `nodes` (those this process
  /// handles: router state, held packets, reassembly, statistics) and this process's
  /// network-wide counters. LoadState reads it back into a network built from the same
  /// settings (and TrackRanks called the same way); a checkpoint of other nodes or of another
  /// shape is refused with a ConfigError naming the file.
  void SaveState(StateWriter& w, const std::vector<NodeId>& nodes);
  void LoadState(StateReader& r, const std::vector<NodeId>& nodes);
  /// Checks of an idle network (nothing held, every credit back, every buffer empty);
  /// returns one line per violation, empty when all hold.
  std::vector<std::string> AuditIdle() const;

 private:
  // Both defined in fabric/network_internal.h, private to the network*.cc files.
  struct Epoch;  // one wiring: topology, routing table, diameter, ports rewired entering it
  struct Impl;   // construction steps, event handlers and the per-hop helpers (the packet
                 // path is a template on the context, instantiated in network_router.cc)

  Network(const TopologyOptions& topology, const NetworkOptions& options);

  NetworkOptions options_;
  RoutingAlgorithm routing_ = RoutingAlgorithm::kAuto;     // resolved
  DeadlockAvoidance deadlock_ = DeadlockAvoidance::kAuto;  // resolved
  std::uint32_t num_vcs_ = 1;                              // VCs per input port
  std::uint32_t buffer_flits_ = 0;                         // per (input port, VC)
  std::uint32_t num_ports_ = 0;                            // per node
  std::uint32_t num_inputs_ = 0;                           // num_ports * num_vcs + 1 (the injection queue)
  std::uint32_t mask_words_ = 1;                           // 64-bit words per output's input mask
  std::vector<PortId> input_port_;                         // per input (in_port * num_vcs + vc): its port
  // Dimension-order routing on epoch 0's shape (DOR topologies are never rewired).
  std::uint32_t dor_dims_ = 0;                // dimensions
  std::uint32_t dor_k_[kMaxTorusDims] = {};   // nodes per dimension
  bool dor_wraps_[kMaxTorusDims] = {};        // the dimension has wrap links
  Tick min_cross_ps_ = 0;                     // lookahead
  bool defer_credits_ = false;                // no rewiring: credits may be deferred (network_router.cc)
  std::uint64_t credits_without_events_ = 0;  // deferred credits applied (CreditsWithoutEvents)
  // Latency buckets of every node's deliveries, shared: one histogram per node would spread
  // the increments over megabytes in a large cluster.
  LatencyHistogram packet_latency_;
  LatencyHistogram message_latency_;
  std::vector<Epoch> epochs_;            // wiring 0, then one per reconfiguration
  std::vector<NodeState> nodes_;         // by node id
  struct RankTracking;                   // TrackRanks' bookkeeping (network_internal.h)
  std::unique_ptr<RankTracking> ranks_;  // null unless TrackRanks was called
};

/// Zero-load latency of one packet of `payload_bytes` over `hops` identical links (timing
/// `link`), from Inject to delivery. VCT: hops * (router + wire + flit) + (packet - flit) +
/// router; SAF: hops * (router + wire + packet) + router; 0 hops: router. "flit" and "packet"
/// are serialization times of one flit and of the whole packet (in whole flits).
Tick ZeroLoadPacketLatencyPs(const NetworkOptions& options, const LinkTiming& link, std::uint32_t hops,
                             std::uint64_t payload_bytes);

/// Zero-load latency of a message split into packets of at most mtu_bytes that follow each
/// other on the same path: the last packet leaves the source after the earlier ones (with
/// enough buffer for a credit round trip). Under SAF a shorter last packet also waits for its
/// predecessor's serialization at each later hop.
Tick ZeroLoadMessageLatencyPs(const NetworkOptions& options, const LinkTiming& link, std::uint32_t hops,
                              std::uint64_t message_bytes);

/// Cross-rank form of an event: fixed fields plus only this packet's slice of the payload.
void AppendNetEvent(const NetEvent& e, ByteWriter& out);
/// Reads one event written by AppendNetEvent.
NetEvent ReadNetEvent(ByteReader& in);

}  // namespace moefab::fabric
