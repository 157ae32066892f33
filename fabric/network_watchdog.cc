// Network: the stall watchdog (per-node timer while packets wait) and the blocked-link chain
// it names in a StallError.
#include "fabric/network.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "fabric/network_internal.h"

namespace moefab::fabric {

// ---------------------------------------------------------------------------------------------
// Watchdog.

void Network::Impl::ArmWatchdog(Network& net, NodeState& s, NetContext& ctx) {
  if (net.options_.watchdog_ps == 0 || s.watchdog_pending) return;
  s.watchdog_pending = true;
  NetEvent w;
  w.tick = ctx.Now() + net.options_.watchdog_ps;
  w.kind = NetEventKind::kWatchdog;
  w.node = s.id;
  Emit(s, std::move(w), ctx);
}

void Network::Impl::OnWatchdog(Network& net, NodeState& s, const NetEvent& /*e*/, NetContext& ctx) {
  s.watchdog_pending = false;
  if (net.options_.watchdog_ps == 0) return;
  const Tick now = ctx.Now();
  Tick next = kTickMax;
  for (PortId o = 0; o < net.num_ports_; ++o) {
    const detail::Output& out = s.out[o];
    if (out.waiting == 0 || out.draining) continue;
    if (now - out.progress_ps >= net.options_.watchdog_ps) {
      std::ostringstream os;
      os << "fabric watchdog: at tick " << now << " ps output " << Topology::PortName(s.id, o)
         << " has sent nothing for " << now - out.progress_ps << " ps (watchdog_ps=" << net.options_.watchdog_ps
         << ") while " << out.waiting
         << " packets wait for it; blocked links (each waits for buffer space held by the "
            "next): "
         << BlockedCycle(net, s.id, o);
      throw StallError(os.str());
    }
    next = std::min(next, out.progress_ps + net.options_.watchdog_ps);
  }
  if (next == kTickMax) return;
  s.watchdog_pending = true;
  NetEvent w;
  w.tick = next;
  w.kind = NetEventKind::kWatchdog;
  w.node = s.id;
  Emit(s, std::move(w), ctx);
}

std::string Network::Impl::BlockedCycle(const Network& net, NodeId node, PortId o) {
  // Error path only: reads (never writes) other nodes' state to name the cycle. With several
  // ranks, nodes of other ranks hold no packets here and the chain stops at them.
  std::vector<std::pair<NodeId, PortId>> chain;
  std::vector<std::uint32_t> vcs;
  std::set<std::pair<NodeId, PortId>> seen;
  std::pair<NodeId, PortId> cur{node, o};
  const std::size_t limit = static_cast<std::size_t>(net.num_nodes()) * net.num_ports_ + 1;
  std::size_t cycle_at = kNil;
  for (std::size_t step = 0; step < limit; ++step) {
    if (seen.count(cur)) {
      cycle_at = static_cast<std::size_t>(std::find(chain.begin(), chain.end(), cur) - chain.begin());
      break;
    }
    seen.insert(cur);
    chain.push_back(cur);
    const NodeState& s = net.nodes_[cur.first];
    const OutLink& l = net.epochs_[s.epoch].topology->Out(cur.first, cur.second);
    bool next_found = false;
    std::uint32_t blocked_vc = 0;
    for (std::uint32_t i = 0; i < net.num_inputs_ && !next_found; ++i) {
      const std::uint32_t h = s.head[static_cast<std::size_t>(i) * net.num_ports_ + cur.second];
      if (h == kNil) continue;
      const detail::Slot& p = s.slots[h];
      if (s.credits[cur.second * net.num_vcs_ + p.out_vc] >= p.h.flits) continue;
      blocked_vc = p.out_vc;
      const NodeState& d = net.nodes_[l.dst];
      const std::uint32_t in = l.dst_port * net.num_vcs_ + p.out_vc;
      for (PortId o2 = 0; o2 < net.num_ports_; ++o2) {
        if (d.head[static_cast<std::size_t>(in) * net.num_ports_ + o2] != kNil) {
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
    os << (i > from ? " -> " : "") << Topology::PortName(chain[i].first, chain[i].second) << "/vc" << vcs[i];
  }
  if (cycle_at != kNil) {
    os << " -> " << Topology::PortName(chain[cycle_at].first, chain[cycle_at].second) << " (cycle of "
       << chain.size() - cycle_at << " links)";
  } else {
    os << " (no cycle found among this rank's nodes)";
  }
  return os.str();
}

}  // namespace moefab::fabric
