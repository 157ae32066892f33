#include "fabric/network.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "fabric/link.h"
#include "runtime/core/error.h"

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
};

struct Output {
  Tick busy_until_ps = 0;        // the last tail leaves at this tick
  Tick progress_ps = 0;          // last departure, or when packets started to wait
  std::uint32_t waiting = 0;     // packets queued for this output
  std::uint32_t rr = 0;          // round-robin: first input to consider
  std::uint32_t link_epoch = 0;  // wiring epoch in which the current link was installed
  bool free_pending = false;     // a kOutputFree event is scheduled
  bool draining = false;         // a reconfiguration holds this output
  Tick flit_ps = 0;              // serialization of one flit on the current link
  bool linear = false;           // n flits take exactly n * flit_ps (bandwidth divides evenly)
  // Statistics.
  std::uint64_t packets = 0;
  std::uint64_t flits = 0;
  std::uint64_t bytes = 0;
  Tick busy_ps = 0;
  std::uint32_t peak_waiting = 0;
};

struct Reassembly {
  std::uint32_t received = 0;              // packets so far
  std::vector<bool> got;                   // per packet index: arrived (no duplicates)
  std::shared_ptr<const Payload> whole;    // all packets so far shared this full buffer
  std::shared_ptr<Payload> assembled;      // else: bytes copied in by offset
};

}  // namespace detail

struct NodeState {
  NodeId id = 0;
  std::uint32_t epoch = 0;                         // wiring in force at this node
  std::vector<detail::Slot> slots;                 // packet pool
  std::vector<std::uint32_t> free_slots;           // unused pool entries
  std::vector<std::uint32_t> head, tail;           // [input * P + out]: queue of slots
  std::vector<std::uint64_t> mask;                 // [out * words + w]: inputs with a queue
  std::vector<detail::Output> out;                 // per output port
  std::vector<std::uint32_t> credits;              // [out * V + vc]: free flits downstream
  std::vector<std::uint32_t> occupancy;            // [in_port * V + vc]: flits held
  std::vector<std::uint32_t> peak;                 // [in_port * V + vc]: most flits held
  std::vector<std::uint32_t> in_epoch;             // [in_port]: epoch of the incoming link
  bool watchdog_pending = false;                   // a kWatchdog event is scheduled
  std::uint64_t next_message = 0;                  // per-source message counter
  std::uint64_t held = 0;                          // slots in use
  std::unordered_map<MessageId, detail::Reassembly> reassembly;  // by message (never iterated)
  NodeStats stats;
  std::vector<ReconfigStats> reconfig;             // this node's share of each reconfiguration
  std::vector<std::uint32_t> drained_reports;      // controller: nodes drained, per reconfig
};

using detail::kNil;

namespace {

[[noreturn]] void Fail(const std::string& field, const std::string& value,
                       const std::string& expected) {
  throw ConfigError("network." + field + "=" + value + ": " + expected);
}

constexpr std::uint32_t kMaxVcs = 32;

}  // namespace

void Network::CacheLinkTiming(detail::Output& out, const OutLink& l) const {
  if (!l.present) return;
  out.flit_ps = SerializationPs(options_.flit_bytes, l.bandwidth_mbytes_per_s);
  out.linear = static_cast<std::uint64_t>(options_.flit_bytes) * 1000000u % l.bandwidth_mbytes_per_s == 0;
}

namespace {

std::uint32_t BalanceBit(const PacketHeader& h, std::uint32_t dim) {
  std::uint64_t z = h.message * 0x9E3779B97F4A7C15ull + h.index * 0xBF58476D1CE4E5B9ull + dim;
  z ^= z >> 31;
  z *= 0x94D049BB133111EBull;
  return static_cast<std::uint32_t>(z >> 63);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Histogram.

namespace {
constexpr unsigned kSubBits = 6;  // 64 sub-buckets per power of two

std::size_t BucketOf(Tick v) {
  if (v < (Tick{1} << kSubBits)) return static_cast<std::size_t>(v);
  const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= kSubBits
  const std::size_t sub = static_cast<std::size_t>((v >> (e - kSubBits)) & ((1u << kSubBits) - 1));
  return (std::size_t{1} << kSubBits) + (e - kSubBits) * (std::size_t{1} << kSubBits) + sub;
}

Tick BucketValue(std::size_t b) {  // upper bound of the bucket
  if (b < (std::size_t{1} << kSubBits)) return b;
  const std::size_t rel = b - (std::size_t{1} << kSubBits);
  const unsigned e = static_cast<unsigned>(rel >> kSubBits) + kSubBits;
  const Tick sub = rel & ((1u << kSubBits) - 1);
  const Tick lo = (Tick{1} << e) | (sub << (e - kSubBits));
  return lo + ((Tick{1} << (e - kSubBits)) - 1);
}
}  // namespace

void LatencyHistogram::Add(Tick value_ps) {
  const std::size_t b = BucketOf(value_ps);
  if (b >= buckets_.size()) buckets_.resize(b + 1, 0);
  ++buckets_[b];
  ++count_;
  sum_ += static_cast<double>(value_ps);
  max_ = std::max(max_, value_ps);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (std::size_t i = 0; i < other.buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

Tick LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  const double want = std::clamp(q, 0.0, 1.0) * static_cast<double>(count_);
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen > 0 && static_cast<double>(seen) >= want) return std::min(BucketValue(b), max_);
  }
  return max_;
}

// ---------------------------------------------------------------------------------------------
// Construction.

std::unique_ptr<Network> Network::Make(const TopologyOptions& topology,
                                       const NetworkOptions& options) {
  return std::unique_ptr<Network>(new Network(topology, options));
}

Network::~Network() = default;

std::uint32_t Network::PacketFlits(std::uint64_t payload_bytes) const {
  const std::uint64_t total = payload_bytes + options_.header_bytes;
  return std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>((total + options_.flit_bytes - 1) / options_.flit_bytes));
}

Network::Network(const TopologyOptions& topology, const NetworkOptions& options)
    : options_(options) {
  const NetworkOptions& o = options_;
  if (o.flit_bytes == 0) Fail("flit_bytes", "0", "expected > 0");
  if (o.mtu_bytes == 0) Fail("mtu_bytes", "0", "expected > 0");
  if (static_cast<int>(o.flow_control) > 1) Fail("flow_control", std::to_string(static_cast<int>(o.flow_control)), "expected virtual cut-through or store-and-forward");
  if (static_cast<int>(o.routing) > 3) Fail("routing", std::to_string(static_cast<int>(o.routing)), "expected auto, dimension order, shortest-path table or minimal adaptive");
  if (static_cast<int>(o.deadlock) > 3) Fail("deadlock", std::to_string(static_cast<int>(o.deadlock)), "expected auto, dateline, hop-count VCs or none");

  // Wirings: epoch 0, then one per reconfiguration.
  Epoch first;
  first.topology = std::make_shared<const Topology>(Topology::Make(topology));
  epochs_.push_back(std::move(first));
  const Topology& t0 = *epochs_[0].topology;
  if (!o.reconfigurations.empty() && t0.kind() != TopologyKind::kOcsCubes) {
    Fail("reconfigurations", std::to_string(o.reconfigurations.size()) + " entries",
         "expected none: only OCS-wired cubes (topology kind kOcsCubes) can be rewired");
  }
  for (std::size_t i = 0; i < o.reconfigurations.size(); ++i) {
    const Reconfiguration& r = o.reconfigurations[i];
    const std::string f = "reconfigurations[" + std::to_string(i) + "]";
    if (i > 0 && r.at_ps <= o.reconfigurations[i - 1].at_ps) {
      Fail(f + ".at_ps", std::to_string(r.at_ps),
           "expected > reconfigurations[" + std::to_string(i - 1) + "].at_ps=" +
               std::to_string(o.reconfigurations[i - 1].at_ps) + " (increasing times)");
    }
    TopologyOptions next = topology;
    next.ocs = r.ocs;
    Epoch e;
    try {
      e.topology = std::make_shared<const Topology>(Topology::Make(next));
    } catch (const ConfigError& err) {
      throw ConfigError("network." + f + ": " + err.what());
    }
    epochs_.push_back(std::move(e));
  }
  if (o.control_latency_ps == 0 && !o.reconfigurations.empty()) {
    Fail("control_latency_ps", "0", "expected > 0 (it bounds the PDES lookahead)");
  }
  if (o.ocs_controller >= t0.num_nodes()) {
    Fail("ocs_controller", std::to_string(o.ocs_controller),
         "expected a node < " + std::to_string(t0.num_nodes()));
  }

  // Routing and deadlock avoidance.
  routing_ = o.routing;
  if (routing_ == RoutingAlgorithm::kAuto) {
    routing_ = t0.SupportsDimensionOrder() ? RoutingAlgorithm::kDimensionOrder
                                           : RoutingAlgorithm::kShortestPathTable;
  }
  if (routing_ == RoutingAlgorithm::kDimensionOrder && !t0.SupportsDimensionOrder()) {
    Fail("routing", "dimension_order",
         "expected shortest_path_table or minimal_adaptive for this topology kind "
         "(DOR needs a regular torus or mesh)");
  }
  const bool tables = routing_ != RoutingAlgorithm::kDimensionOrder;
  for (Epoch& e : epochs_) {
    if (tables) {
      e.table = std::make_unique<RoutingTable>(RoutingTable::Build(*e.topology));
      e.diameter = e.table->Diameter();
    } else {
      // DOR is minimal: the diameter is sum floor(k/2) on a torus, sum (k - 1) on a mesh.
      for (std::uint32_t d = 0; d < e.topology->num_dims(); ++d) {
        const std::uint32_t k = e.topology->dims()[d];
        e.diameter += e.topology->Wraps(d) ? k / 2 : k - 1;
      }
    }
  }
  deadlock_ = o.deadlock;
  if (deadlock_ == DeadlockAvoidance::kAuto) {
    deadlock_ = tables ? DeadlockAvoidance::kHopCountVcs : DeadlockAvoidance::kDateline;
  }
  if (deadlock_ == DeadlockAvoidance::kDateline && tables) {
    Fail("deadlock", "dateline",
         "expected hop_count_vcs (or none) with table routing: datelines need dimension order");
  }
  std::uint32_t need = 1;
  std::string why = "one VC";
  if (deadlock_ == DeadlockAvoidance::kDateline) {
    need = 2;
    why = "datelines use VC 0 before and VC 1 after each dimension's wrap link";
  } else if (deadlock_ == DeadlockAvoidance::kHopCountVcs) {
    need = std::max<std::uint32_t>(1, epochs_[0].diameter);
    for (std::size_t i = 1; i < epochs_.size(); ++i) {
      need = std::max(need, epochs_[i - 1].diameter + epochs_[i].diameter - 1);
    }
    why = "hop-count VCs need one VC per hop of the longest route (diameter " +
          std::to_string(epochs_[0].diameter) +
          (epochs_.size() > 1 ? ", plus the next wiring's diameter across a rewiring)" : ")");
  }
  num_vcs_ = o.num_vcs == 0 ? need : o.num_vcs;
  if (num_vcs_ < need) Fail("num_vcs", std::to_string(o.num_vcs), "expected >= " + std::to_string(need) + ": " + why);
  if (num_vcs_ > kMaxVcs) {
    Fail("num_vcs", std::to_string(num_vcs_) + (o.num_vcs == 0 ? " (needed)" : ""),
         "expected <= " + std::to_string(kMaxVcs) + (o.num_vcs == 0 ? " (" + why + "; use datelines or a smaller wiring)" : ""));
  }

  // Buffers: at least one whole packet (VCT and SAF both keep whole packets).
  const std::uint32_t max_flits = PacketFlits(o.mtu_bytes);
  Tick max_latency = 0;
  Tick min_flit_ps = kTickMax;
  for (const Epoch& e : epochs_) {
    for (NodeId n = 0; n < e.topology->num_nodes(); ++n) {
      for (PortId p = 0; p < e.topology->num_ports(); ++p) {
        const OutLink& l = e.topology->Out(n, p);
        if (!l.present) continue;
        max_latency = std::max(max_latency, l.latency_ps);
        min_flit_ps = std::min(min_flit_ps, SerializationPs(o.flit_bytes, l.bandwidth_mbytes_per_s));
      }
    }
  }
  if (min_flit_ps == kTickMax || min_flit_ps == 0) min_flit_ps = 1;
  if (o.buffer_flits == 0) {
    const Tick rtt_ps = 2 * max_latency + o.router_delay_ps + min_flit_ps;
    buffer_flits_ = 2 * max_flits + static_cast<std::uint32_t>((rtt_ps + min_flit_ps - 1) / min_flit_ps);
  } else {
    buffer_flits_ = o.buffer_flits;
  }
  if (buffer_flits_ < max_flits) {
    Fail("buffer_flits", std::to_string(o.buffer_flits),
         "expected >= " + std::to_string(max_flits) + " (one whole packet: header " +
             std::to_string(o.header_bytes) + " + mtu " + std::to_string(o.mtu_bytes) +
             " bytes in " + std::to_string(o.flit_bytes) + "-byte flits)");
  }

  // Rewired ports per node for each later epoch.
  for (std::size_t i = 1; i < epochs_.size(); ++i) {
    const Topology& a = *epochs_[i - 1].topology;
    const Topology& b = *epochs_[i].topology;
    epochs_[i].affected.resize(a.num_nodes());
    for (NodeId n = 0; n < a.num_nodes(); ++n) {
      for (PortId p = 0; p < a.num_ports(); ++p) {
        const OutLink& x = a.Out(n, p);
        const OutLink& y = b.Out(n, p);
        if (x.present != y.present || x.dst != y.dst || x.dst_port != y.dst_port) {
          epochs_[i].affected[n].push_back(p);
        }
      }
    }
  }

  // Lookahead.
  min_cross_ps_ = kTickMax;
  for (const Epoch& e : epochs_) min_cross_ps_ = std::min(min_cross_ps_, e.topology->MinLinkLatencyPs());
  if (!o.reconfigurations.empty()) min_cross_ps_ = std::min(min_cross_ps_, o.control_latency_ps);

  // Per-node state.
  num_ports_ = t0.num_ports();
  num_inputs_ = num_ports_ * num_vcs_ + 1;
  mask_words_ = (num_inputs_ + 63) / 64;
  nodes_.resize(t0.num_nodes());
  for (NodeId n = 0; n < t0.num_nodes(); ++n) {
    NodeState& s = nodes_[n];
    s.id = n;
    s.head.assign(static_cast<std::size_t>(num_inputs_) * num_ports_, kNil);
    s.tail.assign(static_cast<std::size_t>(num_inputs_) * num_ports_, kNil);
    s.mask.assign(static_cast<std::size_t>(num_ports_) * mask_words_, 0);
    s.out.resize(num_ports_);
    s.credits.assign(static_cast<std::size_t>(num_ports_) * num_vcs_, 0);
    for (PortId p = 0; p < num_ports_; ++p) {
      CacheLinkTiming(s.out[p], t0.Out(n, p));
      if (!t0.HasLink(n, p)) continue;
      for (std::uint32_t v = 0; v < num_vcs_; ++v) s.credits[p * num_vcs_ + v] = buffer_flits_;
    }
    s.occupancy.assign(static_cast<std::size_t>(num_ports_) * num_vcs_, 0);
    s.peak.assign(static_cast<std::size_t>(num_ports_) * num_vcs_, 0);
    s.in_epoch.assign(num_ports_, 0);
    s.reconfig.resize(o.reconfigurations.size());
    if (n == o.ocs_controller) s.drained_reports.assign(o.reconfigurations.size(), 0);
  }
}

std::uint32_t Network::Hops(NodeId src, NodeId dst) const {
  const Epoch& e = epochs_[0];
  if (e.table) return e.table->Distance(src, dst);
  std::uint32_t hops = 0;
  for (NodeId at = src; at != dst; ++hops) at = e.topology->Out(at, DorPort(*e.topology, at, dst, src)).dst;
  return hops;
}

PortId Network::RoutePort(NodeId at, NodeId dst, NodeId src) const {
  const Epoch& e = epochs_[0];
  return e.table ? e.table->NextHop(at, dst) : DorPort(*e.topology, at, dst, src);
}

Tick Network::MinCrossNodeDelayPs(const std::vector<RankId>& owner) const {
  MOEFAB_CHECK(owner.size() == num_nodes(), "owner map of " << owner.size() << " nodes");
  Tick best = kTickMax;
  bool crosses = false;
  for (const Epoch& e : epochs_) {
    for (NodeId n = 0; n < e.topology->num_nodes(); ++n) {
      for (PortId p = 0; p < num_ports_; ++p) {
        const OutLink& l = e.topology->Out(n, p);
        if (l.present && owner[n] != owner[l.dst]) best = std::min(best, l.latency_ps);
      }
      crosses = crosses || owner[n] != owner[options_.ocs_controller];
    }
  }
  if (!options_.reconfigurations.empty() && crosses) best = std::min(best, options_.control_latency_ps);
  return best;
}

std::vector<NetEvent> Network::InitialEvents(NodeId node) const {
  std::vector<NetEvent> out;
  for (std::size_t i = 0; i < options_.reconfigurations.size(); ++i) {
    NetEvent e;
    e.tick = options_.reconfigurations[i].at_ps;
    e.kind = NetEventKind::kReconfigBegin;
    e.node = e.origin = node;
    e.value = static_cast<std::uint32_t>(i);
    out.push_back(std::move(e));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Events.

void Network::Emit(NodeState& s, NetEvent&& e, NetContext& ctx) {
  e.origin = s.id;
  ctx.Schedule(std::move(e));
}

MessageId Network::Inject(const MessageSpec& spec, NetContext& ctx) {
  MOEFAB_CHECK(spec.src < num_nodes() && spec.dst < num_nodes(),
               "message " << spec.src << " -> " << spec.dst << " outside " << num_nodes() << " nodes");
  MOEFAB_CHECK(!spec.data || spec.data->size() == spec.bytes,
               "message data of " << spec.data->size() << " bytes, declared " << spec.bytes);
  NodeState& s = nodes_[spec.src];
  const MessageId id = (static_cast<MessageId>(spec.src) << 40) | s.next_message++;
  NetEvent e;
  e.tick = ctx.Now() + options_.router_delay_ps;
  e.kind = NetEventKind::kInject;
  e.node = spec.src;
  PacketHeader& h = e.packet;
  h.message = id;
  h.tag = spec.tag;
  h.src = spec.src;
  h.dst = spec.dst;
  h.message_bytes = spec.bytes;
  h.count = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, (spec.bytes + options_.mtu_bytes - 1) / options_.mtu_bytes));
  h.created_ps = ctx.Now();
  e.data = spec.data;
  ++s.stats.messages_injected;
  s.stats.packets_injected += h.count;
  Emit(s, std::move(e), ctx);
  return id;
}

void Network::Handle(NetEvent& e, NetContext& ctx) {
  MOEFAB_CHECK(e.node < nodes_.size(), "event for node " << e.node);
  NodeState& s = nodes_[e.node];
  switch (e.kind) {
    case NetEventKind::kCredit:
    case NetEventKind::kCreditSync: OnCredit(s, e, ctx); break;
    case NetEventKind::kOutputFree:
      s.out[e.port].free_pending = false;
      TryOutput(s, e.port, ctx);
      break;
    case NetEventKind::kPacket: OnPacket(s, e, ctx); break;
    case NetEventKind::kInject: OnInject(s, e, ctx); break;
    case NetEventKind::kWatchdog: OnWatchdog(s, e, ctx); break;
    case NetEventKind::kReconfigBegin: OnReconfigBegin(s, e, ctx); break;
    case NetEventKind::kReconfigDrained: OnReconfigDrained(s, e, ctx); break;
    case NetEventKind::kReconfigInstall: OnReconfigInstall(s, e, ctx); break;
  }
}

std::uint32_t Network::NewSlot(NodeState& s) {
  ++s.held;
  if (!s.free_slots.empty()) {
    const std::uint32_t i = s.free_slots.back();
    s.free_slots.pop_back();
    return i;
  }
  s.slots.emplace_back();
  return static_cast<std::uint32_t>(s.slots.size() - 1);
}

void Network::OnInject(NodeState& s, NetEvent& e, NetContext& ctx) {
  const PacketHeader& h = e.packet;
  if (h.dst == s.id) {
    // Loopback: the router hands the message straight back to its chip.
    const Tick now = ctx.Now();
    for (std::uint32_t i = 0; i < h.count; ++i) s.stats.packet_latency.Add(now - h.created_ps);
    s.stats.packets_delivered += h.count;
    ++s.stats.messages_delivered;
    s.stats.bytes_delivered += h.message_bytes;
    s.stats.message_latency.Add(now - h.created_ps);
    DeliveredMessage m{h.message, h.src, h.dst, h.tag, h.message_bytes, h.count, h.created_ps, now, std::move(e.data)};
    ctx.Deliver(std::move(m));
    return;
  }
  const std::uint32_t injection = num_ports_ * num_vcs_;
  std::uint64_t touched = 0;
  for (std::uint32_t i = 0; i < h.count; ++i) {
    PacketHeader ph = h;
    ph.index = i;
    ph.offset = static_cast<std::uint64_t>(i) * options_.mtu_bytes;
    ph.payload_bytes = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(options_.mtu_bytes, h.message_bytes - ph.offset));
    ph.flits = PacketFlits(ph.payload_bytes);
    ph.tail_ps = ctx.Now();
    std::shared_ptr<const Payload> data = (i + 1 == h.count) ? std::move(e.data) : e.data;
    const auto [o, vc] = RouteHeader(s, ph);
    if (CanSendNow(s, o, vc, ph.flits, ctx.Now())) {
      Send(s, o, injection, vc, ph, std::move(data), e.data_offset, ctx);
      continue;
    }
    const std::uint32_t slot = NewSlot(s);
    detail::Slot& p = s.slots[slot];
    p.h = ph;
    p.data = std::move(data);
    p.data_offset = e.data_offset;
    p.input = injection;
    p.out = o;
    p.out_vc = vc;
    touched |= std::uint64_t{1} << s.slots[slot].out;
    Enqueue(s, slot, ctx);
  }
  for (PortId o = 0; o < num_ports_; ++o) {
    if (touched >> o & 1) TryOutput(s, o, ctx);
  }
}

void Network::OnPacket(NodeState& s, NetEvent& e, NetContext& ctx) {
  const std::uint32_t in = e.port * num_vcs_ + e.vc;
  const std::uint32_t flits = e.packet.flits;
  s.occupancy[in] += flits;
  s.peak[in] = std::max(s.peak[in], s.occupancy[in]);
  MOEFAB_CHECK(s.occupancy[in] <= buffer_flits_,
               "buffer overflow at " << Topology::PortName(s.id, e.port) << " vc " << e.vc << ": "
                                     << s.occupancy[in] << " > " << buffer_flits_ << " flits");
  if (e.packet.dst == s.id) {
    DeliverPacket(s, e, ctx);
    ReturnCredit(s, e.port, e.vc, flits, ctx.Now(), ctx);
    return;
  }
  const auto [o, vc] = RouteHeader(s, e.packet);
  if (CanSendNow(s, o, vc, flits, ctx.Now())) {
    Send(s, o, in, vc, e.packet, std::move(e.data), e.data_offset, ctx);
    return;
  }
  const std::uint32_t slot = NewSlot(s);
  detail::Slot& p = s.slots[slot];
  p.h = e.packet;
  p.data = std::move(e.data);
  p.data_offset = e.data_offset;
  p.input = in;
  p.out = o;
  p.out_vc = vc;
  Enqueue(s, slot, ctx);
  TryOutput(s, o, ctx);
}

void Network::Route(NodeState& s, std::uint32_t slot) {
  detail::Slot& p = s.slots[slot];
  const auto [port, vc] = RouteHeader(s, p.h);
  p.out = port;
  p.out_vc = vc;
}

bool Network::CanSendNow(const NodeState& s, PortId o, std::uint32_t vc, std::uint32_t flits, Tick now) const {
  const detail::Output& out = s.out[o];
  return out.waiting == 0 && !out.draining && out.busy_until_ps <= now &&
         s.credits[o * num_vcs_ + vc] >= flits;
}

std::pair<PortId, std::uint32_t> Network::RouteHeader(NodeState& s, PacketHeader& h) {
  const Epoch& ep = epochs_[s.epoch];
  const Topology& t = *ep.topology;
  PortId port = 0;
  std::uint32_t vc = 0;
  if (routing_ == RoutingAlgorithm::kDimensionOrder) {
    port = DorPort(t, s.id, h.dst, h.src);
    const auto d = static_cast<std::uint8_t>(port / 2);
    if (h.dim != d) {
      h.dim = d;
      h.crossed = 0;
      h.dim_vc = (deadlock_ == DeadlockAvoidance::kDateline && !DorCrossesDateline(t, s.id, h.dst, port))
                     ? static_cast<std::uint8_t>(BalanceBit(h, d))
                     : 0;
    }
    if (deadlock_ == DeadlockAvoidance::kDateline) {
      const bool dateline = t.Out(s.id, port).dateline;
      vc = (h.crossed || dateline) ? 1 : h.dim_vc;
      if (dateline) h.crossed = 1;
    } else if (deadlock_ == DeadlockAvoidance::kHopCountVcs) {
      vc = h.hops;
    }
  } else {
    const std::uint32_t mask = ep.table->NextHopMask(s.id, h.dst);
    MOEFAB_CHECK(mask != 0, "no route from " << s.id << " to " << h.dst);
    vc = deadlock_ == DeadlockAvoidance::kHopCountVcs ? h.hops : 0;
    if (vc >= num_vcs_) {
      vc = num_vcs_ - 1;
      ++s.stats.vc_overflows;
    }
    if (routing_ == RoutingAlgorithm::kMinimalAdaptive && std::popcount(mask) > 1) {
      std::int64_t best = 0;
      bool have = false;
      for (std::uint32_t m = mask; m != 0; m &= m - 1) {
        const auto o = static_cast<PortId>(std::countr_zero(m));
        const auto& out = s.out[o];
        const std::int64_t score = static_cast<std::int64_t>(s.credits[o * num_vcs_ + vc]) -
                                   static_cast<std::int64_t>(out.waiting) * h.flits -
                                   (out.draining ? std::int64_t{1} << 40 : 0);
        if (!have || score > best) {
          best = score;
          port = o;
          have = true;
        }
      }
    } else {
      port = static_cast<PortId>(std::countr_zero(mask));
    }
  }
  if (vc >= num_vcs_) {
    vc = num_vcs_ - 1;
    ++s.stats.vc_overflows;
  }
  return {port, vc};
}

void Network::Enqueue(NodeState& s, std::uint32_t slot, NetContext& ctx) {
  detail::Slot& p = s.slots[slot];
  const std::size_t q = static_cast<std::size_t>(p.input) * num_ports_ + p.out;
  p.next = kNil;
  if (s.tail[q] == kNil) {
    s.head[q] = slot;
    s.mask[p.out * mask_words_ + p.input / 64] |= std::uint64_t{1} << (p.input % 64);
  } else {
    s.slots[s.tail[q]].next = slot;
  }
  s.tail[q] = slot;
  p.wait_since_ps = ctx.Now();
  detail::Output& out = s.out[p.out];
  if (out.waiting++ == 0) out.progress_ps = ctx.Now();
  out.peak_waiting = std::max(out.peak_waiting, out.waiting);
  ArmWatchdog(s, ctx);
}

void Network::ArmWatchdog(NodeState& s, NetContext& ctx) {
  if (options_.watchdog_ps == 0 || s.watchdog_pending) return;
  s.watchdog_pending = true;
  NetEvent w;
  w.tick = ctx.Now() + options_.watchdog_ps;
  w.kind = NetEventKind::kWatchdog;
  w.node = s.id;
  Emit(s, std::move(w), ctx);
}

void Network::TryOutput(NodeState& s, PortId o, NetContext& ctx) {
  detail::Output& out = s.out[o];
  if (out.waiting == 0 || out.draining) return;
  const Tick now = ctx.Now();
  if (out.busy_until_ps > now) {
    if (!out.free_pending) {
      out.free_pending = true;
      NetEvent f;
      f.tick = out.busy_until_ps;
      f.kind = NetEventKind::kOutputFree;
      f.node = s.id;
      f.port = o;
      Emit(s, std::move(f), ctx);
    }
    return;
  }
  const std::uint64_t* mask = &s.mask[o * mask_words_];
  const std::uint32_t* credits = &s.credits[o * num_vcs_];
  auto scan = [&](std::uint32_t from, std::uint32_t to) -> std::uint32_t {
    for (std::uint32_t w = from / 64; w * 64 < to; ++w) {
      std::uint64_t bits = mask[w];
      if (w == from / 64) bits &= ~std::uint64_t{0} << (from % 64);
      if (to < (w + 1) * 64) bits &= (std::uint64_t{1} << (to % 64)) - 1;
      while (bits != 0) {
        const std::uint32_t i = w * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
        const detail::Slot& p = s.slots[s.head[static_cast<std::size_t>(i) * num_ports_ + o]];
        if (credits[p.out_vc] >= p.h.flits) return i;
        bits &= bits - 1;
      }
    }
    return kNil;
  };
  std::uint32_t i = scan(out.rr, num_inputs_);
  if (i == kNil && out.rr > 0) i = scan(0, out.rr);
  if (i != kNil) Transmit(s, o, i, ctx);
  // Otherwise every candidate lacks credits: a kCredit event will call again.
}

void Network::Transmit(NodeState& s, PortId o, std::uint32_t i, NetContext& ctx) {
  const std::size_t q = static_cast<std::size_t>(i) * num_ports_ + o;
  const std::uint32_t slot = s.head[q];
  detail::Slot& p = s.slots[slot];
  s.head[q] = p.next;
  if (s.head[q] == kNil) {
    s.tail[q] = kNil;
    s.mask[o * mask_words_ + i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  --s.out[o].waiting;
  std::shared_ptr<const Payload> data = std::move(p.data);
  s.free_slots.push_back(slot);  // p stays valid: Send allocates no slot
  --s.held;
  Send(s, o, i, p.out_vc, p.h, std::move(data), p.data_offset, ctx);
}

void Network::Send(NodeState& s, PortId o, std::uint32_t i, std::uint32_t out_vc, const PacketHeader& h,
                   std::shared_ptr<const Payload>&& data, std::uint64_t data_offset, NetContext& ctx) {
  detail::Output& out = s.out[o];
  out.rr = i + 1 == num_inputs_ ? 0 : i + 1;
  const Tick now = ctx.Now();
  const OutLink& l = epochs_[s.epoch].topology->Out(s.id, o);
  MOEFAB_CHECK(l.present, "packet routed to absent link " << Topology::PortName(s.id, o));
  const std::uint32_t flits = h.flits;
  const Tick ser_ps = out.linear ? flits * out.flit_ps
                                 : SerializationPs(static_cast<std::uint64_t>(flits) * options_.flit_bytes,
                                                   l.bandwidth_mbytes_per_s);
  const Tick tail_out = std::max(now + ser_ps, h.tail_ps);
  out.busy_until_ps = tail_out;
  out.progress_ps = now;
  ++out.packets;
  out.flits += flits;
  out.bytes += options_.header_bytes + h.payload_bytes;
  out.busy_ps += tail_out - now;
  s.credits[o * num_vcs_ + out_vc] -= flits;
  ++s.stats.packet_hops;

  NetEvent e;
  e.kind = NetEventKind::kPacket;
  e.node = l.dst;
  e.port = l.dst_port;
  e.vc = out_vc;
  e.packet = h;
  ++e.packet.hops;
  e.packet.tail_ps = tail_out + l.latency_ps;
  if (h.dst == l.dst || options_.flow_control == FlowControl::kStoreAndForward) {
    e.tick = tail_out + l.latency_ps + options_.router_delay_ps;
  } else {
    e.tick = now + out.flit_ps + l.latency_ps + options_.router_delay_ps;
  }
  e.data = std::move(data);
  e.data_offset = data_offset;
  if (i != num_ports_ * num_vcs_) ReturnCredit(s, i / num_vcs_, i % num_vcs_, flits, tail_out, ctx);
  Emit(s, std::move(e), ctx);
  if (out.waiting > 0 && !out.free_pending) {
    out.free_pending = true;
    NetEvent f;
    f.tick = tail_out;
    f.kind = NetEventKind::kOutputFree;
    f.node = s.id;
    f.port = o;
    Emit(s, std::move(f), ctx);
  }
}

void Network::ReturnCredit(NodeState& s, PortId in_port, std::uint32_t vc, std::uint32_t flits,
                           Tick at_ps, NetContext& ctx) {
  s.occupancy[in_port * num_vcs_ + vc] -= flits;
  const OutLink& l = epochs_[s.epoch].topology->Out(s.id, in_port);
  if (!l.present) return;  // the port was left unconnected by a rewiring
  NetEvent c;
  c.tick = at_ps + l.latency_ps;
  c.kind = NetEventKind::kCredit;
  c.node = l.dst;
  c.port = l.dst_port;
  c.vc = vc;
  c.value = flits;
  c.epoch = s.in_epoch[in_port];
  Emit(s, std::move(c), ctx);
}

void Network::OnCredit(NodeState& s, const NetEvent& e, NetContext& ctx) {
  detail::Output& out = s.out[e.port];
  if (e.epoch != out.link_epoch) return;  // for a link that a rewiring has replaced
  std::uint32_t& c = s.credits[e.port * num_vcs_ + e.vc];
  c = e.kind == NetEventKind::kCreditSync ? e.value : c + e.value;
  MOEFAB_CHECK(c <= buffer_flits_, "credits of " << Topology::PortName(s.id, e.port) << " vc " << e.vc
                                                 << " exceed the buffer: " << c << " > " << buffer_flits_);
  TryOutput(s, e.port, ctx);
}

void Network::DeliverPacket(NodeState& s, NetEvent& e, NetContext& ctx) {
  const PacketHeader& h = e.packet;
  const Tick now = ctx.Now();
  ++s.stats.packets_delivered;
  s.stats.flits_delivered += h.flits;
  s.stats.packet_latency.Add(now - h.created_ps);
  auto whole = [&](const std::shared_ptr<const Payload>& d, std::uint64_t off) {
    return d && off == 0 && d->size() == h.message_bytes;
  };
  auto copy_slice = [&](Payload& into) {
    MOEFAB_CHECK(h.offset >= e.data_offset && h.offset + h.payload_bytes <= e.data_offset + e.data->size(),
                 "packet data does not cover its payload");
    std::memcpy(into.data() + h.offset, e.data->data() + (h.offset - e.data_offset), h.payload_bytes);
  };
  DeliveredMessage m{h.message, h.src, h.dst, h.tag, h.message_bytes, h.count, h.created_ps, now, nullptr};
  if (h.count == 1) {
    if (whole(e.data, e.data_offset)) {
      m.data = std::move(e.data);
    } else if (e.data) {
      auto buf = std::make_shared<Payload>(h.message_bytes);
      copy_slice(*buf);
      m.data = std::move(buf);
    }
  } else {
    auto [it, inserted] = s.reassembly.try_emplace(h.message);
    detail::Reassembly& r = it->second;
    if (inserted) r.got.assign(h.count, false);
    MOEFAB_CHECK(h.index < h.count && !r.got[h.index],
                 "packet " << h.index << " of message " << h.message << " delivered twice at node " << s.id);
    r.got[h.index] = true;
    ++r.received;
    if (e.data) {
      if (!r.assembled && whole(e.data, e.data_offset) && (!r.whole || r.whole == e.data)) {
        r.whole = std::move(e.data);
      } else {
        if (!r.assembled) {
          r.assembled = std::make_shared<Payload>(h.message_bytes);
          if (r.whole) std::memcpy(r.assembled->data(), r.whole->data(), h.message_bytes);
          r.whole.reset();
        }
        copy_slice(*r.assembled);
      }
    }
    if (r.received < h.count) return;
    if (r.assembled) {
      m.data = std::move(r.assembled);
    } else {
      m.data = std::move(r.whole);
    }
    s.reassembly.erase(it);
  }
  ++s.stats.messages_delivered;
  s.stats.bytes_delivered += h.message_bytes;
  s.stats.message_latency.Add(now - h.created_ps);
  ctx.Deliver(std::move(m));
}

// ---------------------------------------------------------------------------------------------
// Watchdog.

void Network::OnWatchdog(NodeState& s, const NetEvent& /*e*/, NetContext& ctx) {
  s.watchdog_pending = false;
  if (options_.watchdog_ps == 0) return;
  const Tick now = ctx.Now();
  Tick next = kTickMax;
  for (PortId o = 0; o < num_ports_; ++o) {
    const detail::Output& out = s.out[o];
    if (out.waiting == 0 || out.draining) continue;
    if (now - out.progress_ps >= options_.watchdog_ps) {
      std::ostringstream os;
      os << "fabric watchdog: at tick " << now << " ps output " << Topology::PortName(s.id, o)
         << " has sent nothing for " << now - out.progress_ps << " ps (watchdog_ps="
         << options_.watchdog_ps << ") while " << out.waiting
         << " packets wait for it; blocked links (each waits for buffer space held by the "
            "next): "
         << BlockedCycle(s.id, o);
      throw StallError(os.str());
    }
    next = std::min(next, out.progress_ps + options_.watchdog_ps);
  }
  if (next == kTickMax) return;
  s.watchdog_pending = true;
  NetEvent w;
  w.tick = next;
  w.kind = NetEventKind::kWatchdog;
  w.node = s.id;
  Emit(s, std::move(w), ctx);
}

std::string Network::BlockedCycle(NodeId node, PortId o) const {
  // Error path only: reads (never writes) other nodes' state to name the cycle. With several
  // ranks, nodes of other ranks hold no packets here and the chain stops at them.
  std::vector<std::pair<NodeId, PortId>> chain;
  std::vector<std::uint32_t> vcs;
  std::set<std::pair<NodeId, PortId>> seen;
  std::pair<NodeId, PortId> cur{node, o};
  const std::size_t limit = static_cast<std::size_t>(num_nodes()) * num_ports_ + 1;
  std::size_t cycle_at = kNil;
  for (std::size_t step = 0; step < limit; ++step) {
    if (seen.count(cur)) {
      cycle_at = static_cast<std::size_t>(std::find(chain.begin(), chain.end(), cur) - chain.begin());
      break;
    }
    seen.insert(cur);
    chain.push_back(cur);
    const NodeState& s = nodes_[cur.first];
    const OutLink& l = epochs_[s.epoch].topology->Out(cur.first, cur.second);
    bool next_found = false;
    std::uint32_t blocked_vc = 0;
    for (std::uint32_t i = 0; i < num_inputs_ && !next_found; ++i) {
      const std::uint32_t h = s.head[static_cast<std::size_t>(i) * num_ports_ + cur.second];
      if (h == kNil) continue;
      const detail::Slot& p = s.slots[h];
      if (s.credits[cur.second * num_vcs_ + p.out_vc] >= p.h.flits) continue;
      blocked_vc = p.out_vc;
      const NodeState& d = nodes_[l.dst];
      const std::uint32_t in = l.dst_port * num_vcs_ + p.out_vc;
      for (PortId o2 = 0; o2 < num_ports_; ++o2) {
        if (d.head[static_cast<std::size_t>(in) * num_ports_ + o2] != kNil) {
          cur = {l.dst, o2};
          next_found = true;
          break;
        }
      }
    }
    vcs.push_back(blocked_vc);
    if (!next_found) break;
  }
  std::ostringstream os;
  const std::size_t from = cycle_at == kNil ? 0 : cycle_at;
  for (std::size_t i = from; i < chain.size(); ++i) {
    os << (i > from ? " -> " : "") << Topology::PortName(chain[i].first, chain[i].second) << "/vc"
       << vcs[i];
  }
  if (cycle_at != kNil) {
    os << " -> " << Topology::PortName(chain[cycle_at].first, chain[cycle_at].second) << " (cycle of "
       << chain.size() - cycle_at << " links)";
  } else {
    os << " (no cycle found among this rank's nodes)";
  }
  return os.str();
}

// ---------------------------------------------------------------------------------------------
// Reconfiguration.

void Network::OnReconfigBegin(NodeState& s, const NetEvent& e, NetContext& ctx) {
  const std::uint32_t i = e.value;
  MOEFAB_CHECK(s.epoch == i, "reconfiguration " << i << " starts at node " << s.id
                                                << " before reconfiguration " << s.epoch
                                                << " installed; space the reconfiguration times further apart");
  const Tick now = ctx.Now();
  const Topology& t = *epochs_[i].topology;
  Tick drained = now;
  for (PortId p : epochs_[i + 1].affected[s.id]) {
    detail::Output& out = s.out[p];
    out.draining = true;
    const OutLink& l = t.Out(s.id, p);
    // The last tail already on its way reaches the far end by then.
    if (l.present) drained = std::max(drained, std::max(out.busy_until_ps, now) + l.latency_ps);
  }
  ReconfigStats& r = s.reconfig[i];
  r.begin_ps = now;
  r.affected_links += epochs_[i + 1].affected[s.id].size();
  NetEvent d;
  d.tick = drained + options_.control_latency_ps;
  d.kind = NetEventKind::kReconfigDrained;
  d.node = options_.ocs_controller;
  d.value = i;
  Emit(s, std::move(d), ctx);
}

void Network::OnReconfigDrained(NodeState& s, const NetEvent& e, NetContext& ctx) {
  const std::uint32_t i = e.value;
  if (++s.drained_reports[i] < num_nodes()) return;
  const Tick now = ctx.Now();
  const Tick install = now + options_.ocs_switch_ps + options_.control_latency_ps;
  s.reconfig[i].drained_ps = now;
  s.reconfig[i].installed_ps = install;
  for (NodeId n = 0; n < num_nodes(); ++n) {
    NetEvent x;
    x.tick = install;
    x.kind = NetEventKind::kReconfigInstall;
    x.node = n;
    x.value = i;
    Emit(s, std::move(x), ctx);
  }
}

void Network::OnReconfigInstall(NodeState& s, const NetEvent& e, NetContext& ctx) {
  const std::uint32_t i = e.value;
  const Tick now = ctx.Now();
  const auto& affected = epochs_[i + 1].affected[s.id];
  ReconfigStats& r = s.reconfig[i];
  // Traffic that waited for a rewired link.
  for (PortId p : affected) {
    for (std::uint32_t in = 0; in < num_inputs_; ++in) {
      for (std::uint32_t x = s.head[static_cast<std::size_t>(in) * num_ports_ + p]; x != kNil; x = s.slots[x].next) {
        const detail::Slot& q = s.slots[x];
        ++r.delayed_packets;
        r.delayed_bytes += q.h.payload_bytes;
        r.delayed_ps += now - std::max(q.wait_since_ps, r.begin_ps);
      }
    }
  }
  s.epoch = i + 1;
  const Topology& t = *epochs_[s.epoch].topology;
  for (PortId p : affected) {
    detail::Output& out = s.out[p];
    out.draining = false;
    out.link_epoch = s.epoch;
    out.progress_ps = now;
    s.in_epoch[p] = s.epoch;
    for (std::uint32_t v = 0; v < num_vcs_; ++v) s.credits[p * num_vcs_ + v] = 0;
    const OutLink& l = t.Out(s.id, p);
    CacheLinkTiming(out, l);
    if (!l.present) continue;
    // Tell the new upstream how much room this input buffer has (old packets may remain).
    for (std::uint32_t v = 0; v < num_vcs_; ++v) {
      NetEvent c;
      c.tick = now + l.latency_ps;
      c.kind = NetEventKind::kCreditSync;
      c.node = l.dst;
      c.port = l.dst_port;
      c.vc = v;
      c.value = buffer_flits_ - s.occupancy[p * num_vcs_ + v];
      c.epoch = s.epoch;
      Emit(s, std::move(c), ctx);
    }
  }
  // Re-route every waiting packet with the new tables, in a fixed order.
  std::vector<std::uint32_t> waiting;
  for (std::uint32_t in = 0; in < num_inputs_; ++in) {
    for (PortId o = 0; o < num_ports_; ++o) {
      const std::size_t q = static_cast<std::size_t>(in) * num_ports_ + o;
      for (std::uint32_t x = s.head[q]; x != kNil; x = s.slots[x].next) waiting.push_back(x);
      s.head[q] = s.tail[q] = kNil;
    }
  }
  std::fill(s.mask.begin(), s.mask.end(), 0);
  for (auto& out : s.out) out.waiting = 0;
  for (std::uint32_t x : waiting) {
    const Tick since = s.slots[x].wait_since_ps;
    Route(s, x);
    Enqueue(s, x, ctx);
    s.slots[x].wait_since_ps = since;
  }
  for (PortId o = 0; o < num_ports_; ++o) TryOutput(s, o, ctx);
}

// ---------------------------------------------------------------------------------------------
// Reports.

const NodeStats& Network::Stats(NodeId node) const { return nodes_.at(node).stats; }

NodeStats Network::TotalStats() const {
  NodeStats t;
  for (const NodeState& s : nodes_) {
    const NodeStats& n = s.stats;
    t.messages_injected += n.messages_injected;
    t.packets_injected += n.packets_injected;
    t.messages_delivered += n.messages_delivered;
    t.packets_delivered += n.packets_delivered;
    t.flits_delivered += n.flits_delivered;
    t.bytes_delivered += n.bytes_delivered;
    t.packet_hops += n.packet_hops;
    t.vc_overflows += n.vc_overflows;
    t.packet_latency.Merge(n.packet_latency);
    t.message_latency.Merge(n.message_latency);
  }
  return t;
}

std::vector<LinkStats> Network::LinkReport() const {
  std::vector<LinkStats> out;
  for (const NodeState& s : nodes_) {
    const Topology& t = *epochs_[s.epoch].topology;
    for (PortId p = 0; p < num_ports_; ++p) {
      const OutLink& l = t.Out(s.id, p);
      const detail::Output& o = s.out[p];
      if (!l.present && o.packets == 0) continue;
      LinkStats r;
      r.src = s.id;
      r.port = p;
      r.dst = l.present ? l.dst : kNoNode;
      r.dst_port = l.dst_port;
      r.link_class = l.link_class;
      r.packets = o.packets;
      r.flits = o.flits;
      r.bytes = o.bytes;
      r.busy_ps = o.busy_ps;
      r.peak_waiting_packets = o.peak_waiting;
      if (l.present) {
        const NodeState& d = nodes_[l.dst];
        for (std::uint32_t v = 0; v < num_vcs_; ++v) {
          r.peak_buffer_flits = std::max(r.peak_buffer_flits, d.peak[l.dst_port * num_vcs_ + v]);
        }
      }
      out.push_back(r);
    }
  }
  return out;
}

std::vector<ReconfigStats> Network::ReconfigReport() const {
  std::vector<ReconfigStats> out(options_.reconfigurations.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].begin_ps = options_.reconfigurations[i].at_ps;
    for (const NodeState& s : nodes_) {
      const ReconfigStats& r = s.reconfig[i];
      out[i].drained_ps = std::max(out[i].drained_ps, r.drained_ps);
      out[i].installed_ps = std::max(out[i].installed_ps, r.installed_ps);
      out[i].affected_links += r.affected_links;
      out[i].delayed_packets += r.delayed_packets;
      out[i].delayed_bytes += r.delayed_bytes;
      out[i].delayed_ps += r.delayed_ps;
    }
  }
  return out;
}

std::uint64_t Network::PacketsHeld() const {
  std::uint64_t n = 0;
  for (const NodeState& s : nodes_) n += s.held + s.reassembly.size();
  return n;
}

std::vector<std::string> Network::AuditIdle() const {
  std::vector<std::string> bad;
  for (const NodeState& s : nodes_) {
    const Topology& t = *epochs_[s.epoch].topology;
    if (s.held != 0) bad.push_back("node " + std::to_string(s.id) + " holds " + std::to_string(s.held) + " packets");
    if (!s.reassembly.empty()) bad.push_back("node " + std::to_string(s.id) + " has " + std::to_string(s.reassembly.size()) + " partial messages");
    for (PortId p = 0; p < num_ports_; ++p) {
      if (s.out[p].waiting != 0) bad.push_back(Topology::PortName(s.id, p) + " has waiting packets");
      for (std::uint32_t v = 0; v < num_vcs_; ++v) {
        if (s.occupancy[p * num_vcs_ + v] != 0) {
          bad.push_back("input " + Topology::PortName(s.id, p) + " vc " + std::to_string(v) + " holds " +
                        std::to_string(s.occupancy[p * num_vcs_ + v]) + " flits");
        }
        const std::uint32_t want = t.HasLink(s.id, p) ? buffer_flits_ : 0;
        if (t.HasLink(s.id, p) && s.credits[p * num_vcs_ + v] != want) {
          bad.push_back("output " + Topology::PortName(s.id, p) + " vc " + std::to_string(v) + " has " +
                        std::to_string(s.credits[p * num_vcs_ + v]) + " credits, expected " + std::to_string(want));
        }
      }
    }
  }
  return bad;
}

// ---------------------------------------------------------------------------------------------
// Closed forms and serialisation.

Tick ZeroLoadPacketLatencyPs(const NetworkOptions& o, const LinkTiming& link, std::uint32_t hops,
                             std::uint64_t payload_bytes) {
  if (hops == 0) return o.router_delay_ps;
  const std::uint64_t flits = std::max<std::uint64_t>(
      1, (payload_bytes + o.header_bytes + o.flit_bytes - 1) / o.flit_bytes);
  const Tick flit_ps = SerializationPs(o.flit_bytes, link.bandwidth_mbytes_per_s);
  const Tick packet_ps = SerializationPs(flits * o.flit_bytes, link.bandwidth_mbytes_per_s);
  if (o.flow_control == FlowControl::kStoreAndForward) {
    return hops * (o.router_delay_ps + link.latency_ps + packet_ps) + o.router_delay_ps;
  }
  return hops * (o.router_delay_ps + link.latency_ps + flit_ps) + (packet_ps - flit_ps) +
         o.router_delay_ps;
}

Tick ZeroLoadMessageLatencyPs(const NetworkOptions& o, const LinkTiming& link, std::uint32_t hops,
                              std::uint64_t message_bytes) {
  const std::uint64_t count = std::max<std::uint64_t>(1, (message_bytes + o.mtu_bytes - 1) / o.mtu_bytes);
  if (hops == 0) return o.router_delay_ps;
  // Earlier packets occupy the first link one after the other.
  Tick before_ps = 0;
  for (std::uint64_t i = 0; i + 1 < count; ++i) {
    const std::uint64_t flits = (o.mtu_bytes + o.header_bytes + o.flit_bytes - 1) / o.flit_bytes;
    before_ps += SerializationPs(flits * o.flit_bytes, link.bandwidth_mbytes_per_s);
  }
  const std::uint64_t last = message_bytes - (count - 1) * o.mtu_bytes;
  Tick catch_up_ps = 0;
  if (count > 1 && o.flow_control == FlowControl::kStoreAndForward) {
    // Under SAF a shorter last packet cannot overtake its full-size predecessor: at every later
    // hop it leaves when the predecessor's serialization ends.
    const std::uint64_t full = (o.mtu_bytes + o.header_bytes + o.flit_bytes - 1) / o.flit_bytes;
    const std::uint64_t tail = std::max<std::uint64_t>(1, (last + o.header_bytes + o.flit_bytes - 1) / o.flit_bytes);
    catch_up_ps = (hops - 1) * (SerializationPs(full * o.flit_bytes, link.bandwidth_mbytes_per_s) -
                                SerializationPs(tail * o.flit_bytes, link.bandwidth_mbytes_per_s));
  }
  return before_ps + catch_up_ps + ZeroLoadPacketLatencyPs(o, link, hops, last);
}

namespace {
template <typename T>
void Put(std::vector<std::byte>& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}
template <typename T>
T Get(const std::vector<std::byte>& in, std::size_t& off) {
  MOEFAB_CHECK(off + sizeof(T) <= in.size(), "truncated fabric event");
  T v;
  std::memcpy(&v, in.data() + off, sizeof(T));
  off += sizeof(T);
  return v;
}
}  // namespace

void AppendNetEvent(const NetEvent& e, std::vector<std::byte>& out) {
  static_assert(std::is_trivially_copyable_v<PacketHeader>);
  Put(out, e.tick);
  Put(out, e.kind);
  Put(out, e.node);
  Put(out, e.origin);
  Put(out, e.seq);
  Put(out, e.port);
  Put(out, e.vc);
  Put(out, e.value);
  Put(out, e.epoch);
  Put(out, e.packet);
  // Only the bytes this event needs: a packet's own slice, or a whole injected message.
  std::uint64_t from = 0, len = 0;
  const bool has = e.data != nullptr;
  if (has) {
    if (e.kind == NetEventKind::kPacket) {
      from = e.packet.offset;
      len = e.packet.payload_bytes;
    } else {
      from = e.data_offset;
      len = e.data->size();
    }
  }
  Put(out, static_cast<std::uint8_t>(has));
  Put(out, from);
  Put(out, len);
  if (has && len > 0) {
    MOEFAB_CHECK(from >= e.data_offset && from + len <= e.data_offset + e.data->size(), "event data slice out of range");
    const std::size_t at = out.size();
    out.resize(at + len);
    std::memcpy(out.data() + at, e.data->data() + (from - e.data_offset), len);
  }
}

NetEvent ReadNetEvent(const std::vector<std::byte>& in, std::size_t& offset) {
  NetEvent e;
  e.tick = Get<Tick>(in, offset);
  e.kind = Get<NetEventKind>(in, offset);
  e.node = Get<NodeId>(in, offset);
  e.origin = Get<NodeId>(in, offset);
  e.seq = Get<std::uint64_t>(in, offset);
  e.port = Get<PortId>(in, offset);
  e.vc = Get<std::uint32_t>(in, offset);
  e.value = Get<std::uint32_t>(in, offset);
  e.epoch = Get<std::uint32_t>(in, offset);
  e.packet = Get<PacketHeader>(in, offset);
  const bool has = Get<std::uint8_t>(in, offset) != 0;
  const auto from = Get<std::uint64_t>(in, offset);
  const auto len = Get<std::uint64_t>(in, offset);
  if (has) {
    MOEFAB_CHECK(offset + len <= in.size(), "truncated fabric event payload");
    auto d = std::make_shared<Payload>(len);
    if (len > 0) std::memcpy(d->data(), in.data() + offset, len);
    offset += len;
    e.data = std::move(d);
    e.data_offset = from;
  }
  return e;
}

}  // namespace moefab::fabric
