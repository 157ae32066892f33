// Network: OCS rewiring (drain the rewired outputs, report to the controller, install the new
// wiring and tables at one tick, resynchronise credits, re-route waiting packets).
#include "fabric/network.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/error.h"
#include "fabric/network_internal.h"

namespace moefab::fabric {

// ---------------------------------------------------------------------------------------------
// Reconfiguration.

void Network::Impl::OnReconfigBegin(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx) {
  const std::uint32_t i = e.value;
  MOEFAB_CHECK(s.epoch == i, "reconfiguration " << i << " starts at node " << s.id << " before reconfiguration "
                                                << s.epoch
                                                << " installed; space the reconfiguration times further apart");
  const Tick now = ctx.Now();
  const Topology& t = *net.epochs_[i].topology;
  Tick drained = now;
  for (PortId p : net.epochs_[i + 1].affected[s.id]) {
    detail::Output& out = s.out[p];
    out.draining = true;
    const OutLink& l = t.Out(s.id, p);
    // The last tail already on its way reaches the far end by then.
    if (l.present) drained = std::max(drained, std::max(out.busy_until_ps, now) + l.latency_ps);
  }
  ReconfigStats& r = s.reconfig[i];
  r.begin_ps = now;
  r.affected_links += net.epochs_[i + 1].affected[s.id].size();
  NetEvent d;
  d.tick = drained + net.options_.control_latency_ps;
  d.kind = NetEventKind::kReconfigDrained;
  d.node = net.options_.ocs_controller;
  d.value = i;
  Emit(s, std::move(d), ctx);
}

void Network::Impl::OnReconfigDrained(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx) {
  const std::uint32_t i = e.value;
  if (++s.drained_reports[i] < net.num_nodes()) return;
  const Tick now = ctx.Now();
  const Tick install = now + net.options_.ocs_switch_ps + net.options_.control_latency_ps;
  s.reconfig[i].drained_ps = now;
  s.reconfig[i].installed_ps = install;
  for (NodeId n = 0; n < net.num_nodes(); ++n) {
    NetEvent x;
    x.tick = install;
    x.kind = NetEventKind::kReconfigInstall;
    x.node = n;
    x.value = i;
    Emit(s, std::move(x), ctx);
  }
}

void Network::Impl::OnReconfigInstall(Network& net, NodeState& s, const NetEvent& e, NetContext& ctx) {
  const std::uint32_t i = e.value;
  const Tick now = ctx.Now();
  const auto& affected = net.epochs_[i + 1].affected[s.id];
  ReconfigStats& r = s.reconfig[i];
  // Traffic that waited for a rewired link.
  for (PortId p : affected) {
    for (std::uint32_t in = 0; in < net.num_inputs_; ++in) {
      const std::size_t queue = static_cast<std::size_t>(in) * net.num_ports_ + p;
      for (std::uint32_t x = s.head[queue]; x != kNil; x = s.slots[x].next) {
        const detail::Slot& q = s.slots[x];
        ++r.delayed_packets;
        r.delayed_bytes += q.h.payload_bytes;
        r.delayed_ps += now - std::max(q.wait_since_ps, r.begin_ps);
      }
    }
  }
  s.epoch = i + 1;
  const Topology& t = *net.epochs_[s.epoch].topology;
  for (PortId p = 0; p < net.num_ports_; ++p) CacheLinkTiming(net, s.out[p], t.Out(s.id, p));
  for (PortId p : affected) {
    detail::Output& out = s.out[p];
    out.draining = false;
    out.link_epoch = s.epoch;
    out.progress_ps = now;
    s.in_epoch[p] = s.epoch;
    for (std::uint32_t v = 0; v < net.num_vcs_; ++v) s.credits[p * net.num_vcs_ + v] = 0;
    const OutLink& l = t.Out(s.id, p);
    if (!l.present) continue;
    // Tell the new upstream how much room this input buffer has (old packets may remain).
    for (std::uint32_t v = 0; v < net.num_vcs_; ++v) {
      NetEvent c;
      c.tick = now + l.latency_ps + net.options_.credit_delay_ps;
      c.kind = NetEventKind::kCreditSync;
      c.node = l.dst;
      c.port = l.dst_port;
      c.vc = v;
      c.value = net.buffer_flits_ - s.occupancy[p * net.num_vcs_ + v];
      c.epoch = s.epoch;
      Emit(s, std::move(c), ctx);
    }
  }
  // Re-route every waiting packet with the new tables, in a fixed order.
  std::vector<std::uint32_t> waiting;
  for (std::uint32_t in = 0; in < net.num_inputs_; ++in) {
    for (PortId o = 0; o < net.num_ports_; ++o) {
      const std::size_t q = static_cast<std::size_t>(in) * net.num_ports_ + o;
      for (std::uint32_t x = s.head[q]; x != kNil; x = s.slots[x].next) waiting.push_back(x);
      s.head[q] = s.tail[q] = kNil;
    }
  }
  std::fill(s.mask.begin(), s.mask.end(), 0);
  for (auto& out : s.out) out.waiting = 0;
  for (std::uint32_t x : waiting) {
    const Tick since = s.slots[x].wait_since_ps;
    Route(net, s, x);
    Enqueue(net, s, x, now, ctx);
    s.slots[x].wait_since_ps = since;
  }
  for (PortId o = 0; o < net.num_ports_; ++o) TryOutput(net, s, o, now, ctx);
}

}  // namespace moefab::fabric
