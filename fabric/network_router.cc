// Network: the packet path. Inject and Handle dispatch, routing (DOR with datelines, tables,
// minimal adaptive), virtual output queues, round-robin switch allocation, credits, sending
// and delivery with reassembly.
#include "fabric/network.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "fabric/driver.h"
#include "fabric/network_internal.h"
#include "fabric/serialization.h"

namespace moefab::fabric {

namespace {

std::uint32_t BalanceBit(const PacketHeader& h, std::uint32_t dim) {
  std::uint64_t z = h.message * 0x9E3779B97F4A7C15ull + h.index * 0xBF58476D1CE4E5B9ull + dim;
  z ^= z >> 31;
  z *= 0x94D049BB133111EBull;
  return static_cast<std::uint32_t>(z >> 63);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Events.

template <class Ctx>
void Network::Impl::Emit(NodeState& s, NetEvent&& e, Ctx& ctx) {
  e.origin = s.id;
  ctx.Schedule(std::move(e));
}

template <class Ctx>
MessageId Network::Impl::InjectT(Network& net, const MessageSpec& spec, Ctx& ctx) {
  const std::uint32_t num_nodes = net.epochs_[0].topology->num_nodes();
  MOEFAB_HOT_CHECK(spec.src < num_nodes && spec.dst < num_nodes,
                   "message " << spec.src << " -> " << spec.dst << " outside " << num_nodes << " nodes");
  MOEFAB_HOT_CHECK(!spec.data || spec.data->size() == spec.bytes,
                   "message data of " << spec.data->size() << " bytes, declared " << spec.bytes);
  NodeState& s = net.nodes_[spec.src];
  const MessageId id = (static_cast<MessageId>(spec.src) << 40) | s.next_message++;
  NetEvent e;
  e.tick = ctx.Now() + net.options_.injection_latency_ps + net.options_.router_delay_ps;
  e.kind = NetEventKind::kInject;
  e.node = spec.src;
  PacketHeader& h = e.packet;
  h.message = id;
  h.tag = spec.tag;
  h.src = spec.src;
  h.dst = spec.dst;
  h.message_bytes = spec.bytes;
  h.count = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, (spec.bytes + net.options_.mtu_bytes - 1) / net.options_.mtu_bytes));
  h.created_ps = ctx.Now();
  e.data = spec.data;
  ++s.stats.messages_injected;
  s.stats.packets_injected += h.count;
  Emit(s, std::move(e), ctx);
  return id;
}

template <class Ctx>
void Network::Impl::HandleT(Network& net, NetEvent& e, Ctx& ctx) {
  MOEFAB_HOT_CHECK(e.node < net.nodes_.size(), "event for node " << e.node);
  NodeState& s = net.nodes_[e.node];
  if (s.deferred_min <= ctx.Now()) AbsorbCredits(net, s, ctx.Now());
  switch (e.kind) {
    case NetEventKind::kCredit:
    case NetEventKind::kCreditSync:
      OnCredit(net, s, e, ctx);
      break;
    case NetEventKind::kOutputFree:
      s.out[e.port].free_pending = false;
      TryOutput(net, s, e.port, ctx.Now(), ctx);
      break;
    case NetEventKind::kPacket:
      OnPacket(net, s, e, ctx);
      break;
    case NetEventKind::kInject:
      OnInject(net, s, e, ctx);
      break;
    case NetEventKind::kWatchdog:
      OnWatchdog(net, s, e, ctx);
      break;
    case NetEventKind::kReconfigBegin:
      OnReconfigBegin(net, s, e, ctx);
      break;
    case NetEventKind::kReconfigDrained:
      OnReconfigDrained(net, s, e, ctx);
      break;
    case NetEventKind::kReconfigInstall:
      OnReconfigInstall(net, s, e, ctx);
      break;
  }
}

std::uint32_t Network::Impl::NewSlot(NodeState& s) {
  ++s.held;
  if (!s.free_slots.empty()) {
    const std::uint32_t i = s.free_slots.back();
    s.free_slots.pop_back();
    return i;
  }
  s.slots.emplace_back();
  return static_cast<std::uint32_t>(s.slots.size() - 1);
}

template <class Ctx>
void Network::Impl::OnInject(Network& net, NodeState& s, NetEvent& e, Ctx& ctx) {
  const PacketHeader& h = e.packet;
  if (h.dst == s.id) {
    // Delivered to the chip after the ejection channel.
    const Tick now = ctx.Now() + net.options_.ejection_latency_ps;
    // Loopback: the router hands the message straight back to its chip.
    for (std::uint32_t i = 0; i < h.count; ++i) {
      s.stats.packet_latency.AddSummary(now - h.created_ps);
      net.packet_latency_.Add(now - h.created_ps);
    }
    s.stats.packets_delivered += h.count;
    ++s.stats.messages_delivered;
    s.stats.bytes_delivered += h.message_bytes;
    s.stats.message_latency.AddSummary(now - h.created_ps);
    net.message_latency_.Add(now - h.created_ps);
    DeliveredMessage m{h.message, h.src, h.dst, h.tag, h.message_bytes, h.count, h.created_ps, now, std::move(e.data)};
    ctx.Deliver(std::move(m));
    return;
  }
  const Tick now = ctx.Now();
  const std::uint32_t injection = net.num_ports_ * net.num_vcs_;
  std::uint64_t touched = 0;
  for (std::uint32_t i = 0; i < h.count; ++i) {
    PacketHeader ph = h;
    ph.index = i;
    ph.offset = static_cast<std::uint64_t>(i) * net.options_.mtu_bytes;
    ph.payload_bytes =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(net.options_.mtu_bytes, h.message_bytes - ph.offset));
    ph.flits = net.PacketFlits(ph.payload_bytes);
    ph.tail_ps = now;
    std::shared_ptr<const Payload> data = (i + 1 == h.count) ? std::move(e.data) : e.data;
    const auto [o, vc] = RouteHeader(net, s, ph);
    if (CanSendNow(net, s, o, vc, ph.flits, now)) {
      Send(net, s, o, injection, vc, ph, std::move(data), e.data_offset, now, ctx);
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
    touched |= std::uint64_t{1} << o;
    Enqueue(net, s, slot, now, ctx);
  }
  for (PortId o = 0; o < net.num_ports_; ++o) {
    if (touched >> o & 1) TryOutput(net, s, o, now, ctx);
  }
}

template <class Ctx>
void Network::Impl::OnPacket(Network& net, NodeState& s, NetEvent& e, Ctx& ctx) {
  const Tick now = ctx.Now();
  const std::uint32_t in = e.port * net.num_vcs_ + e.vc;
  const std::uint32_t flits = e.packet.flits;
  std::uint32_t& occupancy = s.occupancy[in];
  occupancy += flits;
  if (occupancy > s.peak[in]) s.peak[in] = occupancy;
  MOEFAB_HOT_CHECK(occupancy <= net.buffer_flits_, "buffer overflow at " << Topology::PortName(s.id, e.port) << " vc "
                                                                         << e.vc << ": " << occupancy << " > "
                                                                         << net.buffer_flits_ << " flits");
  if (e.packet.dst == s.id) {
    DeliverPacket(net, s, e, now, ctx);
    ReturnCredit(net, s, e.port, e.vc, flits, now, ctx);
    return;
  }
  const auto [o, vc] = RouteHeader(net, s, e.packet);
  if (CanSendNow(net, s, o, vc, flits, now)) {
    Send(net, s, o, in, vc, e.packet, std::move(e.data), e.data_offset, now, ctx);
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
  Enqueue(net, s, slot, now, ctx);
  TryOutput(net, s, o, now, ctx);
}

void Network::Impl::Route(Network& net, NodeState& s, std::uint32_t slot) {
  detail::Slot& p = s.slots[slot];
  const auto [port, vc] = RouteHeader(net, s, p.h);
  p.out = port;
  p.out_vc = vc;
}

bool Network::Impl::CanSendNow(const Network& net, const NodeState& s, PortId o, std::uint32_t vc, std::uint32_t flits,
                               Tick now) {
  const detail::Output& out = s.out[o];
  return out.waiting == 0 && !out.draining && out.busy_until_ps <= now && s.credits[o * net.num_vcs_ + vc] >= flits;
}

std::pair<PortId, std::uint32_t> Network::Impl::RouteHeader(Network& net, NodeState& s, PacketHeader& h) {
  PortId port = 0;
  std::uint32_t vc = 0;
  if (net.routing_ == RoutingAlgorithm::kDimensionOrder) {
    // DorPort and DorCrossesDateline (fabric/routing.h) on the shape cached at construction.
    const Topology& t = *net.epochs_[0].topology;  // DOR topologies are never rewired
    const auto& a = t.Coord(s.id);
    const auto& b = t.Coord(h.dst);
    std::uint32_t d = 0;
    while (d < net.dor_dims_ && a[d] == b[d]) ++d;
    MOEFAB_HOT_CHECK(d < net.dor_dims_, "DOR found no port from " << s.id << " to " << h.dst);
    bool plus;
    if (!net.dor_wraps_[d]) {
      plus = a[d] < b[d];
    } else {
      const std::uint32_t k = net.dor_k_[d];
      const std::uint32_t fwd = b[d] >= a[d] ? b[d] - a[d] : b[d] + k - a[d];
      plus = fwd != k - fwd ? fwd < k - fwd : t.Coord(h.src)[d] % 2 == 0;
    }
    port = static_cast<PortId>(2 * d + (plus ? 0 : 1));
    if (h.dim != d) {
      h.dim = static_cast<std::uint8_t>(d);
      h.crossed = 0;
      const bool crosses = net.dor_wraps_[d] && (plus ? b[d] < a[d] : b[d] > a[d]);
      h.dim_vc =
          (net.deadlock_ == DeadlockAvoidance::kDateline && !crosses) ? static_cast<std::uint8_t>(BalanceBit(h, d)) : 0;
    }
    if (net.deadlock_ == DeadlockAvoidance::kDateline) {
      const bool dateline = s.out[port].dateline;
      vc = (h.crossed || dateline) ? 1 : h.dim_vc;
      if (dateline) h.crossed = 1;
      // VC classes: the dateline scheme needs two (before / after the wrap link); beyond two VCs,
      // class c owns VCs c, c + 2, c + 4, ... and a packet takes the one of its class with the
      // most credits downstream now (ties: the lowest), so extra VCs add buffering without
      // breaking the dateline's deadlock freedom.
      if (net.num_vcs_ > 2) {
        const std::uint32_t* credits = &s.credits[static_cast<std::size_t>(port) * net.num_vcs_];
        for (std::uint32_t v = vc + 2; v < net.num_vcs_; v += 2)
          if (credits[v] > credits[vc]) vc = v;
      }
    } else if (net.deadlock_ == DeadlockAvoidance::kHopCountVcs) {
      vc = h.hops;
    }
  } else {
    const Epoch& ep = net.epochs_[s.epoch];
    const std::uint32_t mask = ep.table->NextHopMask(s.id, h.dst);
    MOEFAB_HOT_CHECK(mask != 0, "no route from " << s.id << " to " << h.dst);
    vc = net.deadlock_ == DeadlockAvoidance::kHopCountVcs ? h.hops : 0;
    if (vc >= net.num_vcs_) {
      vc = net.num_vcs_ - 1;
      ++s.stats.vc_overflows;
    }
    if (net.routing_ == RoutingAlgorithm::kMinimalAdaptive && std::popcount(mask) > 1) {
      std::int64_t best = 0;
      bool have = false;
      for (std::uint32_t m = mask; m != 0; m &= m - 1) {
        const auto o = static_cast<PortId>(std::countr_zero(m));
        const auto& out = s.out[o];
        const std::int64_t score = static_cast<std::int64_t>(s.credits[o * net.num_vcs_ + vc]) -
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
  if (vc >= net.num_vcs_) {
    vc = net.num_vcs_ - 1;
    ++s.stats.vc_overflows;
  }
  return {port, vc};
}

template <class Ctx>
void Network::Impl::Enqueue(Network& net, NodeState& s, std::uint32_t slot, Tick now, Ctx& ctx) {
  detail::Slot& p = s.slots[slot];
  const std::size_t q = static_cast<std::size_t>(p.input) * net.num_ports_ + p.out;
  p.next = kNil;
  if (s.tail[q] == kNil) {
    s.head[q] = slot;
    s.mask[p.out * net.mask_words_ + p.input / 64] |= std::uint64_t{1} << (p.input % 64);
  } else {
    s.slots[s.tail[q]].next = slot;
  }
  s.tail[q] = slot;
  p.wait_since_ps = now;
  if constexpr (!std::is_same_v<Ctx, SequentialDriver>) {
    if (net.ranks_) TrackWaiting(net, s, p);
  }
  detail::Output& out = s.out[p.out];
  if (out.deferred != 0) ScheduleDeferred(s, p.out, ctx);
  if (out.waiting++ == 0) out.progress_ps = now;
  out.peak_waiting = std::max(out.peak_waiting, out.waiting);
  if (net.options_.watchdog_ps != 0 && !s.watchdog_pending) ArmWatchdog(net, s, ctx);
}

template <class Ctx>
void Network::Impl::ScheduleOutputFree(NodeState& s, PortId o, Tick at_ps, Ctx& ctx) {
  s.out[o].free_pending = true;
  if constexpr (std::is_same_v<Ctx, SequentialDriver>) {
    ctx.ScheduleSignal(at_ps, NetEventKind::kOutputFree, s.id, s.id, o, 0, 0, 0);
  } else {
    NetEvent f;
    f.tick = at_ps;
    f.kind = NetEventKind::kOutputFree;
    f.node = s.id;
    f.port = o;
    Emit(s, std::move(f), ctx);
  }
}

template <class Ctx>
void Network::Impl::TryOutput(Network& net, NodeState& s, PortId o, Tick now, Ctx& ctx) {
  detail::Output& out = s.out[o];
  if (out.waiting == 0 || out.draining) return;
  if (out.busy_until_ps > now) {
    if (!out.free_pending) ScheduleOutputFree(s, o, out.busy_until_ps, ctx);
    return;
  }
  const std::uint64_t* mask = &s.mask[o * net.mask_words_];
  const std::uint32_t* credits = &s.credits[o * net.num_vcs_];
  auto scan = [&](std::uint32_t from, std::uint32_t to) -> std::uint32_t {
    for (std::uint32_t w = from / 64; w * 64 < to; ++w) {
      std::uint64_t bits = mask[w];
      if (w == from / 64) bits &= ~std::uint64_t{0} << (from % 64);
      if (to < (w + 1) * 64) bits &= (std::uint64_t{1} << (to % 64)) - 1;
      while (bits != 0) {
        const std::uint32_t i = w * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
        const detail::Slot& p = s.slots[s.head[static_cast<std::size_t>(i) * net.num_ports_ + o]];
        if (credits[p.out_vc] >= p.h.flits) return i;
        bits &= bits - 1;
      }
    }
    return kNil;
  };
  std::uint32_t i = scan(out.rr, net.num_inputs_);
  if (i == kNil && out.rr > 0) i = scan(0, out.rr);
  if (i != kNil) Transmit(net, s, o, i, now, ctx);
  // Otherwise every candidate lacks credits: a kCredit event will call again.
}

template <class Ctx>
void Network::Impl::Transmit(Network& net, NodeState& s, PortId o, std::uint32_t i, Tick now, Ctx& ctx) {
  const std::size_t q = static_cast<std::size_t>(i) * net.num_ports_ + o;
  const std::uint32_t slot = s.head[q];
  detail::Slot& p = s.slots[slot];
  s.head[q] = p.next;
  if (s.head[q] == kNil) {
    s.tail[q] = kNil;
    s.mask[o * net.mask_words_ + i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  --s.out[o].waiting;
  if constexpr (!std::is_same_v<Ctx, SequentialDriver>) {
    if (net.ranks_) TrackLeft(net, s, p);
  }
  std::shared_ptr<const Payload> data = std::move(p.data);
  s.free_slots.push_back(slot);  // p stays valid: Send allocates no slot
  --s.held;
  Send(net, s, o, i, p.out_vc, p.h, std::move(data), p.data_offset, now, ctx);
}

template <class Ctx>
void Network::Impl::Send(Network& net, NodeState& s, PortId o, std::uint32_t i, std::uint32_t out_vc,
                         const PacketHeader& h, std::shared_ptr<const Payload>&& data, std::uint64_t data_offset,
                         Tick now, Ctx& ctx) {
  detail::Output& out = s.out[o];
  out.rr = i + 1 == net.num_inputs_ ? 0 : i + 1;
  MOEFAB_HOT_CHECK(out.present, "packet routed to absent link " << Topology::PortName(s.id, o));
  const std::uint32_t flits = h.flits;
  const Tick ser_ps = out.linear ? flits * out.flit_ps
                                 : SerializationPs(static_cast<std::uint64_t>(flits) * net.options_.flit_bytes,
                                                   out.bandwidth_mbytes_per_s);
  const Tick tail_out = std::max(now + ser_ps, h.tail_ps);
  out.busy_until_ps = tail_out;
  out.progress_ps = now;
  ++out.packets;
  out.flits += flits;
  out.bytes += net.options_.header_bytes + h.payload_bytes;
  out.busy_ps += tail_out - now;
  s.credits[o * net.num_vcs_ + out_vc] -= flits;
  ++s.stats.packet_hops;

  // The buffer the packet leaves frees its space when the tail has left (not for the source
  // queue): the credit is scheduled before the packet, as it always was (order key).
  if (i != net.num_ports_ * net.num_vcs_) {
    const PortId in_port = net.input_port_[i];  // i / num_vcs_, without a division per hop
    ReturnCredit(net, s, in_port, i - in_port * net.num_vcs_, flits, tail_out, ctx);
  }

  const Tick ready_ps = (h.dst == out.dst || net.options_.flow_control == FlowControl::kStoreAndForward)
                            ? tail_out + out.latency_ps + net.options_.router_delay_ps
                            : now + out.flit_ps + out.latency_ps + net.options_.router_delay_ps;
  if constexpr (std::is_same_v<Ctx, SequentialDriver>) {
    PacketHeader& next =
        ctx.SchedulePacket(ready_ps, out.dst, s.id, out.dst_port, out_vc, h, std::move(data), data_offset);
    ++next.hops;
    next.tail_ps = tail_out + out.latency_ps;
  } else {
    if (net.ranks_ && net.ranks_->remote[out.dst]) TrackSent(net, out, h, ready_ps);
    PacketHeader next = h;
    ++next.hops;
    next.tail_ps = tail_out + out.latency_ps;
    ctx.Schedule(NetEvent{.tick = ready_ps,
                          .kind = NetEventKind::kPacket,
                          .node = out.dst,
                          .origin = s.id,
                          .port = out.dst_port,
                          .vc = out_vc,
                          .packet = next,
                          .data = std::move(data),
                          .data_offset = data_offset});
  }
  if (out.waiting > 0 && !out.free_pending) ScheduleOutputFree(s, o, tail_out, ctx);
}

template <class Ctx>
void Network::Impl::ReturnCredit(Network& net, NodeState& s, PortId in_port, std::uint32_t vc, std::uint32_t flits,
                                 Tick at_ps, Ctx& ctx) {
  s.occupancy[in_port * net.num_vcs_ + vc] -= flits;
  const detail::Output& back = s.out[in_port];  // the link on this port leads back upstream
  if (!back.present) return;                    // the port was left unconnected by a rewiring
  if (net.defer_credits_ && ctx.DefersCredits() && !(net.ranks_ && net.ranks_->remote[back.dst])) {
    NodeState& up = net.nodes_[back.dst];
    detail::Output& up_out = up.out[back.dst_port];
    if (up_out.waiting == 0) {
      const Tick tick = at_ps + back.latency_ps + net.options_.credit_delay_ps;
      up.deferred.push_back(detail::DeferredCredit{tick, ctx.ReserveSeq(s.id), s.id, back.dst_port, vc, flits});
      ++up_out.deferred;
      up.deferred_min = std::min(up.deferred_min, tick);
      return;
    }
  }
  if constexpr (std::is_same_v<Ctx, SequentialDriver>) {
    ctx.ScheduleSignal(at_ps + back.latency_ps + net.options_.credit_delay_ps, NetEventKind::kCredit, back.dst, s.id,
                       back.dst_port, vc, flits, s.in_epoch[in_port]);
  } else {
    ctx.Schedule(NetEvent{.tick = at_ps + back.latency_ps + net.options_.credit_delay_ps,
                          .kind = NetEventKind::kCredit,
                          .node = back.dst,
                          .origin = s.id,
                          .port = back.dst_port,
                          .vc = vc,
                          .value = flits,
                          .epoch = s.in_epoch[in_port],
                          .packet = {},
                          .data = nullptr,
                          .data_offset = 0});
  }
}

template <class Ctx>
void Network::Impl::OnCredit(Network& net, NodeState& s, const NetEvent& e, Ctx& ctx) {
  detail::Output& out = s.out[e.port];
  if (e.epoch != out.link_epoch) return;  // for a link that a rewiring has replaced
  std::uint32_t& c = s.credits[e.port * net.num_vcs_ + e.vc];
  c = e.kind == NetEventKind::kCreditSync ? e.value : c + e.value;
  MOEFAB_HOT_CHECK(c <= net.buffer_flits_, "credits of " << Topology::PortName(s.id, e.port) << " vc " << e.vc
                                                         << " exceed the buffer: " << c << " > " << net.buffer_flits_);
  if (out.waiting != 0) TryOutput(net, s, e.port, ctx.Now(), ctx);
}

// Credits without events (the reasoning: network_credits.cc). A packet starts to wait at
// output o: its deferred credits become events under the keys reserved for them.
template <class Ctx>
void Network::Impl::ScheduleDeferred(NodeState& s, PortId o, Ctx& ctx) {
  Tick next = kTickMax;
  std::size_t kept = 0;
  for (const detail::DeferredCredit& c : s.deferred) {
    if (c.port != o) {
      s.deferred[kept++] = c;
      next = std::min(next, c.tick);
      continue;
    }
    NetEvent e;
    e.tick = c.tick;
    e.kind = NetEventKind::kCredit;
    e.node = s.id;
    e.origin = c.origin;
    e.seq = c.seq;
    e.port = o;
    e.vc = c.vc;
    e.value = c.flits;
    e.epoch = s.out[o].link_epoch;
    ctx.ScheduleReserved(std::move(e));
  }
  s.deferred.resize(kept);
  s.deferred_min = next;
  s.out[o].deferred = 0;
}

// The packet reached its destination router at `arrival`; its chip has it an ejection
// channel later.
template <class Ctx>
void Network::Impl::DeliverPacket(Network& net, NodeState& s, NetEvent& e, Tick arrival, Ctx& ctx) {
  const PacketHeader& h = e.packet;
  const Tick now = arrival + net.options_.ejection_latency_ps;  // at the chip, after the ejection channel
  ++s.stats.packets_delivered;
  s.stats.flits_delivered += h.flits;
  s.stats.packet_latency.AddSummary(now - h.created_ps);
  net.packet_latency_.Add(now - h.created_ps);
  auto whole = [&](const std::shared_ptr<const Payload>& d, std::uint64_t off) {
    return d && off == 0 && d->size() == h.message_bytes;
  };
  auto copy_slice = [&](Payload& into) {
    MOEFAB_HOT_CHECK(h.offset >= e.data_offset && h.offset + h.payload_bytes <= e.data_offset + e.data->size(),
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
    MOEFAB_HOT_CHECK(h.index < h.count && !r.got[h.index],
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
  s.stats.message_latency.AddSummary(now - h.created_ps);
  net.message_latency_.Add(now - h.created_ps);
  ctx.Deliver(std::move(m));
}

// ---------------------------------------------------------------------------------------------
// The two contexts.

MessageId Network::Inject(const MessageSpec& spec, NetContext& ctx) {
  return Impl::InjectT(*this, spec, ctx);
}
void Network::Handle(NetEvent& e, NetContext& ctx) {
  Impl::HandleT(*this, e, ctx);
}
MessageId Network::Inject(const MessageSpec& spec, SequentialDriver& ctx) {
  return Impl::InjectT(*this, spec, ctx);
}
void Network::Handle(NetEvent& e, SequentialDriver& ctx) {
  Impl::HandleT(*this, e, ctx);
}

// Used by the rewiring and watchdog files with the plain context.
template void Network::Impl::Emit<NetContext>(NodeState&, NetEvent&&, NetContext&);
template void Network::Impl::Enqueue<NetContext>(Network&, NodeState&, std::uint32_t, Tick, NetContext&);
template void Network::Impl::TryOutput<NetContext>(Network&, NodeState&, PortId, Tick, NetContext&);

}  // namespace moefab::fabric
