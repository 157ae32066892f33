// Network: construction and validation, epochs and lookahead, latency histograms, statistics
// and reports, zero-load closed forms. The event handlers live in network_router.cc (packets,
// credits, switch allocation), network_watchdog.cc and network_reconfig.cc.
#include "fabric/network.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "core/error.h"
#include "fabric/network_internal.h"
#include "fabric/serialization.h"

namespace moefab::fabric {

namespace {

[[noreturn]] void Fail(const std::string& field, const std::string& value, const std::string& expected) {
  throw ConfigError("network." + field + "=" + value + ": " + expected);
}

constexpr std::uint32_t kMaxVcs = 32;

// Fields checked before anything is built: flit and MTU sizes, the enum values.
void ValidateFields(const NetworkOptions& o) {
  if (o.flit_bytes == 0) Fail("flit_bytes", "0", "expected > 0");
  if (o.mtu_bytes == 0) Fail("mtu_bytes", "0", "expected > 0");
  if (static_cast<int>(o.flow_control) > 1) {
    Fail("flow_control", std::to_string(static_cast<int>(o.flow_control)),
         "expected virtual cut-through or store-and-forward");
  }
  if (static_cast<int>(o.routing) > 3) {
    Fail("routing", std::to_string(static_cast<int>(o.routing)),
         "expected auto, dimension order, shortest-path table or minimal adaptive");
  }
  if (static_cast<int>(o.deadlock) > 3) {
    Fail("deadlock", std::to_string(static_cast<int>(o.deadlock)), "expected auto, dateline, hop-count VCs or none");
  }
}

}  // namespace

void Network::Impl::CacheLinkTiming(const Network& net, detail::Output& out, const OutLink& l) {
  out.present = l.present;
  out.dateline = l.dateline;
  out.dst = l.dst;
  out.dst_port = l.dst_port;
  out.latency_ps = l.latency_ps;
  out.bandwidth_mbytes_per_s = l.bandwidth_mbytes_per_s;
  if (!l.present) return;  // keeps the last link's timing (statistics only)
  out.flit_ps = SerializationPs(net.options_.flit_bytes, l.bandwidth_mbytes_per_s);
  out.linear = static_cast<std::uint64_t>(net.options_.flit_bytes) * 1000000u % l.bandwidth_mbytes_per_s == 0;
}

// ---------------------------------------------------------------------------------------------
// NetContext: a context that defers no credits is never asked for these.

std::uint64_t NetContext::ReserveSeq(NodeId origin) {
  MOEFAB_CHECK(false, "ReserveSeq(" << origin << ") on a context that defers no credits");
  return 0;
}

void NetContext::ScheduleReserved(NetEvent&& e) {
  MOEFAB_CHECK(false, "ScheduleReserved at tick " << e.tick << " on a context that defers no credits");
}

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

std::unique_ptr<Network> Network::Make(const TopologyOptions& topology, const NetworkOptions& options) {
  return std::unique_ptr<Network>(new Network(topology, options));
}

Network::~Network() = default;

std::uint32_t Network::PacketFlits(std::uint64_t payload_bytes) const {
  const std::uint64_t total = payload_bytes + options_.header_bytes;
  return std::max<std::uint32_t>(1,
                                 static_cast<std::uint32_t>((total + options_.flit_bytes - 1) / options_.flit_bytes));
}

Network::Network(const TopologyOptions& topology, const NetworkOptions& options) : options_(options) {
  // One step each (declared in network_internal.h); a step reads what the earlier ones set.
  ValidateFields(options_);
  Impl::BuildEpochs(*this, topology);
  Impl::ResolveRouting(*this);
  Impl::ResolveVcs(*this);
  Impl::SizeBuffers(*this);
  Impl::FindRewiredPorts(*this);
  Impl::ComputeLookahead(*this);
  Impl::CacheDorShape(*this);
  Impl::InitNodes(*this);
  defer_credits_ = epochs_.size() == 1;  // a rewiring resynchronises credits: keep them as events
}

void Network::Impl::BuildEpochs(Network& net, const TopologyOptions& topology) {
  const NetworkOptions& o = net.options_;
  auto& epochs = net.epochs_;
  Epoch first;
  first.topology = std::make_shared<const Topology>(Topology::Make(topology));
  epochs.push_back(std::move(first));
  const Topology& t0 = *epochs[0].topology;
  if (!o.reconfigurations.empty() && t0.kind() != TopologyKind::kOcsCubes) {
    Fail("reconfigurations", std::to_string(o.reconfigurations.size()) + " entries",
         "expected none: only OCS-wired cubes (topology kind kOcsCubes) can be rewired");
  }
  for (std::size_t i = 0; i < o.reconfigurations.size(); ++i) {
    const Reconfiguration& r = o.reconfigurations[i];
    const std::string f = "reconfigurations[" + std::to_string(i) + "]";
    if (i > 0 && r.at_ps <= o.reconfigurations[i - 1].at_ps) {
      Fail(f + ".at_ps", std::to_string(r.at_ps),
           "expected > reconfigurations[" + std::to_string(i - 1) +
               "].at_ps=" + std::to_string(o.reconfigurations[i - 1].at_ps) + " (increasing times)");
    }
    TopologyOptions next = topology;
    next.ocs = r.ocs;
    Epoch e;
    try {
      e.topology = std::make_shared<const Topology>(Topology::Make(next));
    } catch (const ConfigError& err) {
      throw ConfigError("network." + f + ": " + err.what());
    }
    epochs.push_back(std::move(e));
  }
  if (o.control_latency_ps == 0 && !o.reconfigurations.empty()) {
    Fail("control_latency_ps", "0", "expected > 0 (it bounds the PDES lookahead)");
  }
  if (o.ocs_controller >= t0.num_nodes()) {
    Fail("ocs_controller", std::to_string(o.ocs_controller), "expected a node < " + std::to_string(t0.num_nodes()));
  }
}

void Network::Impl::ResolveRouting(Network& net) {
  const Topology& t0 = *net.epochs_[0].topology;
  net.routing_ = net.options_.routing;
  if (net.routing_ == RoutingAlgorithm::kAuto) {
    net.routing_ =
        t0.SupportsDimensionOrder() ? RoutingAlgorithm::kDimensionOrder : RoutingAlgorithm::kShortestPathTable;
  }
  if (net.routing_ == RoutingAlgorithm::kDimensionOrder && !t0.SupportsDimensionOrder()) {
    Fail("routing", "dimension_order",
         "expected shortest_path_table or minimal_adaptive for this topology kind "
         "(DOR needs a regular torus or mesh)");
  }
  const bool tables = net.routing_ != RoutingAlgorithm::kDimensionOrder;
  for (Epoch& e : net.epochs_) {
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
}

void Network::Impl::ResolveVcs(Network& net) {
  const NetworkOptions& o = net.options_;
  const auto& epochs = net.epochs_;
  const bool tables = net.routing_ != RoutingAlgorithm::kDimensionOrder;
  net.deadlock_ = o.deadlock;
  if (net.deadlock_ == DeadlockAvoidance::kAuto) {
    net.deadlock_ = tables ? DeadlockAvoidance::kHopCountVcs : DeadlockAvoidance::kDateline;
  }
  if (net.deadlock_ == DeadlockAvoidance::kDateline && tables) {
    Fail("deadlock", "dateline", "expected hop_count_vcs (or none) with table routing: datelines need dimension order");
  }
  std::uint32_t need = 1;
  std::string why = "one VC";
  if (net.deadlock_ == DeadlockAvoidance::kDateline) {
    need = 2;
    why = "datelines use VC 0 before and VC 1 after each dimension's wrap link";
  } else if (net.deadlock_ == DeadlockAvoidance::kHopCountVcs) {
    need = std::max<std::uint32_t>(1, epochs[0].diameter);
    for (std::size_t i = 1; i < epochs.size(); ++i) {
      need = std::max(need, epochs[i - 1].diameter + epochs[i].diameter - 1);
    }
    why = "hop-count VCs need one VC per hop of the longest route (diameter " + std::to_string(epochs[0].diameter) +
          (epochs.size() > 1 ? ", plus the next wiring's diameter across a rewiring)" : ")");
  }
  net.num_vcs_ = o.num_vcs == 0 ? need : o.num_vcs;
  if (net.num_vcs_ < need) {
    Fail("num_vcs", std::to_string(o.num_vcs), "expected >= " + std::to_string(need) + ": " + why);
  }
  if (net.num_vcs_ > kMaxVcs) {
    Fail("num_vcs", std::to_string(net.num_vcs_) + (o.num_vcs == 0 ? " (needed)" : ""),
         "expected <= " + std::to_string(kMaxVcs) +
             (o.num_vcs == 0 ? " (" + why + "; use datelines or a smaller wiring)" : ""));
  }
}

void Network::Impl::SizeBuffers(Network& net) {
  const NetworkOptions& o = net.options_;
  // At least one whole packet (VCT and SAF both keep whole packets).
  const std::uint32_t max_flits = net.PacketFlits(o.mtu_bytes);
  Tick max_latency = 0;
  Tick min_flit_ps = kTickMax;
  for (const Epoch& e : net.epochs_) {
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
    const Tick rtt_ps = 2 * max_latency + o.router_delay_ps + o.credit_delay_ps + min_flit_ps;
    net.buffer_flits_ = 2 * max_flits + static_cast<std::uint32_t>((rtt_ps + min_flit_ps - 1) / min_flit_ps);
  } else {
    net.buffer_flits_ = o.buffer_flits;
  }
  if (net.buffer_flits_ < max_flits) {
    Fail("buffer_flits", std::to_string(o.buffer_flits),
         "expected >= " + std::to_string(max_flits) + " (one whole packet: header " + std::to_string(o.header_bytes) +
             " + mtu " + std::to_string(o.mtu_bytes) + " bytes in " + std::to_string(o.flit_bytes) + "-byte flits)");
  }
}

void Network::Impl::FindRewiredPorts(Network& net) {
  auto& epochs = net.epochs_;
  for (std::size_t i = 1; i < epochs.size(); ++i) {
    const Topology& a = *epochs[i - 1].topology;
    const Topology& b = *epochs[i].topology;
    epochs[i].affected.resize(a.num_nodes());
    for (NodeId n = 0; n < a.num_nodes(); ++n) {
      for (PortId p = 0; p < a.num_ports(); ++p) {
        const OutLink& x = a.Out(n, p);
        const OutLink& y = b.Out(n, p);
        if (x.present != y.present || x.dst != y.dst || x.dst_port != y.dst_port) {
          epochs[i].affected[n].push_back(p);
        }
      }
    }
  }
}

void Network::Impl::ComputeLookahead(Network& net) {
  const NetworkOptions& o = net.options_;
  // Events for another node: packets (wire + router delay + at least a flit), credits and
  // credit syncs (wire + credit delay), controller messages (control latency).
  net.min_cross_ps_ = kTickMax;
  const Tick extra = std::min(o.router_delay_ps, o.credit_delay_ps);
  for (const Epoch& e : net.epochs_) {
    net.min_cross_ps_ = std::min(net.min_cross_ps_, e.topology->MinLinkLatencyPs() + extra);
  }
  if (!o.reconfigurations.empty()) net.min_cross_ps_ = std::min(net.min_cross_ps_, o.control_latency_ps);
}

void Network::Impl::CacheDorShape(Network& net) {
  if (net.routing_ != RoutingAlgorithm::kDimensionOrder) return;
  const Topology& t0 = *net.epochs_[0].topology;
  net.dor_dims_ = t0.num_dims();
  for (std::uint32_t d = 0; d < net.dor_dims_; ++d) {
    net.dor_k_[d] = t0.dims()[d];
    net.dor_wraps_[d] = t0.Wraps(d);
  }
}

void Network::Impl::InitNodes(Network& net) {
  const NetworkOptions& o = net.options_;
  const Topology& t0 = *net.epochs_[0].topology;
  const std::uint32_t ports = t0.num_ports();
  const std::uint32_t vcs = net.num_vcs_;
  net.num_ports_ = ports;
  net.num_inputs_ = ports * vcs + 1;
  net.mask_words_ = (net.num_inputs_ + 63) / 64;
  net.input_port_.resize(net.num_inputs_);
  for (std::uint32_t i = 0; i < net.num_inputs_; ++i) net.input_port_[i] = static_cast<PortId>(i / vcs);
  net.nodes_.resize(t0.num_nodes());
  for (NodeId n = 0; n < t0.num_nodes(); ++n) {
    NodeState& s = net.nodes_[n];
    s.id = n;
    s.head.assign(static_cast<std::size_t>(net.num_inputs_) * ports, kNil);
    s.tail.assign(static_cast<std::size_t>(net.num_inputs_) * ports, kNil);
    s.mask.assign(static_cast<std::size_t>(ports) * net.mask_words_, 0);
    s.out.resize(ports);
    s.credits.assign(static_cast<std::size_t>(ports) * vcs, 0);
    for (PortId p = 0; p < ports; ++p) {
      CacheLinkTiming(net, s.out[p], t0.Out(n, p));
      if (!t0.HasLink(n, p)) continue;
      for (std::uint32_t v = 0; v < vcs; ++v) s.credits[p * vcs + v] = net.buffer_flits_;
    }
    s.occupancy.assign(static_cast<std::size_t>(ports) * vcs, 0);
    s.peak.assign(static_cast<std::size_t>(ports) * vcs, 0);
    s.in_epoch.assign(ports, 0);
    s.reconfig.resize(o.reconfigurations.size());
    if (n == o.ocs_controller) s.drained_reports.assign(o.reconfigurations.size(), 0);
  }
}

const Topology& Network::topology(std::uint32_t epoch) const {
  return *epochs_.at(epoch).topology;
}

std::uint32_t Network::num_epochs() const {
  return static_cast<std::uint32_t>(epochs_.size());
}

std::uint32_t Network::num_nodes() const {
  return topology().num_nodes();
}

std::uint32_t Network::Diameter() const {
  return epochs_[0].diameter;
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
        if (l.present && owner[n] != owner[l.dst])
          best = std::min(best, l.latency_ps + std::min(options_.router_delay_ps, options_.credit_delay_ps));
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
// Reports.

const NodeStats& Network::Stats(NodeId node) const {
  return nodes_.at(node).stats;
}

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
  }
  t.packet_latency = packet_latency_;  // every node's deliveries (the per-node ones: summaries)
  t.message_latency = message_latency_;
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

void Network::Prefetch(NodeId node) const {
  if (node >= nodes_.size()) return;
  const auto* p = reinterpret_cast<const char*>(&nodes_[node]);
  for (std::size_t at = 0; at < sizeof(NodeState); at += 64) __builtin_prefetch(p + at);
}

std::uint64_t Network::CreditsWithoutEvents() const {
  std::uint64_t n = credits_without_events_;
  for (const NodeState& s : nodes_) n += s.deferred.size();
  return n;
}

std::vector<std::string> Network::AuditIdle() const {
  std::vector<std::string> bad;
  for (const NodeState& s : nodes_) {
    const Topology& t = *epochs_[s.epoch].topology;
    if (s.held != 0) bad.push_back("node " + std::to_string(s.id) + " holds " + std::to_string(s.held) + " packets");
    if (!s.reassembly.empty())
      bad.push_back("node " + std::to_string(s.id) + " has " + std::to_string(s.reassembly.size()) +
                    " partial messages");
    for (PortId p = 0; p < num_ports_; ++p) {
      if (s.out[p].waiting != 0) bad.push_back(Topology::PortName(s.id, p) + " has waiting packets");
      for (std::uint32_t v = 0; v < num_vcs_; ++v) {
        if (s.occupancy[p * num_vcs_ + v] != 0) {
          bad.push_back("input " + Topology::PortName(s.id, p) + " vc " + std::to_string(v) + " holds " +
                        std::to_string(s.occupancy[p * num_vcs_ + v]) + " flits");
        }
        const std::uint32_t want = t.HasLink(s.id, p) ? buffer_flits_ : 0;
        std::uint32_t credits = s.credits[p * num_vcs_ + v];
        for (const detail::DeferredCredit& c : s.deferred)   // not yet applied: none since
          if (c.port == p && c.vc == v) credits += c.flits;  // the last event
        if (t.HasLink(s.id, p) && credits != want) {
          bad.push_back("output " + Topology::PortName(s.id, p) + " vc " + std::to_string(v) + " has " +
                        std::to_string(credits) + " credits, expected " + std::to_string(want));
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
  const std::uint64_t flits =
      std::max<std::uint64_t>(1, (payload_bytes + o.header_bytes + o.flit_bytes - 1) / o.flit_bytes);
  const Tick flit_ps = SerializationPs(o.flit_bytes, link.bandwidth_mbytes_per_s);
  const Tick packet_ps = SerializationPs(flits * o.flit_bytes, link.bandwidth_mbytes_per_s);
  if (o.flow_control == FlowControl::kStoreAndForward) {
    return hops * (o.router_delay_ps + link.latency_ps + packet_ps) + o.router_delay_ps;
  }
  return hops * (o.router_delay_ps + link.latency_ps + flit_ps) + (packet_ps - flit_ps) + o.router_delay_ps;
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

}  // namespace moefab::fabric
