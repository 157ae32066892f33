// Network: the cross-rank horizon of a PDES run (TrackRanks, CrossRankLookaheadPs,
// CrossRankHorizon) and its bookkeeping on the packet path (network_router.cc calls
// TrackSent, TrackWaiting and TrackLeft).
#include <algorithm>

#include "fabric/network.h"
#include "fabric/network_internal.h"

namespace moefab::fabric {

void Network::TrackRanks(const std::vector<RankId>& owner, RankId me) {
  MOEFAB_CHECK(owner.size() == num_nodes(), "owner map of " << owner.size() << " nodes");
  ranks_ = std::make_unique<RankTracking>();
  RankTracking& t = *ranks_;
  t.enabled = options_.reconfigurations.empty();
  t.remote.resize(num_nodes());
  for (NodeId n = 0; n < num_nodes(); ++n) t.remote[n] = owner[n] != me;
  t.cut_input.assign(static_cast<std::size_t>(num_nodes()) * num_ports_, 0);
  const Topology& topo = topology();
  std::uint64_t max_bandwidth = 0;
  Tick lookahead = kTickMax;
  t.min_latency_ps = kTickMax;
  for (NodeId n = 0; n < num_nodes(); ++n) {
    for (PortId p = 0; p < num_ports_; ++p) {
      const OutLink& l = topo.Out(n, p);
      if (!l.present) continue;
      max_bandwidth = std::max(max_bandwidth, l.bandwidth_mbytes_per_s);
      t.min_latency_ps = std::min(t.min_latency_ps, l.latency_ps);
      // The input port p of n is fed by the reverse of this link.
      if (owner[n] == me && owner[l.dst] != me) t.cut_input[static_cast<std::size_t>(n) * num_ports_ + p] = 1;
      if (owner[n] != owner[l.dst])
        lookahead = std::min(lookahead, l.latency_ps + SerializationPs(options_.flit_bytes, l.bandwidth_mbytes_per_s) +
                                            options_.router_delay_ps);
    }
  }
  t.max_bandwidth_mbytes_per_s = max_bandwidth;
  // With rewiring the wiring (and so the cut) changes: the static lookahead of every event.
  t.lookahead_ps = t.enabled ? lookahead : MinCrossNodeDelayPs(owner);
}

Tick Network::CrossRankLookaheadPs() const {
  MOEFAB_CHECK(ranks_ != nullptr, "CrossRankLookaheadPs before TrackRanks");
  return ranks_->lookahead_ps;
}

Network::RankHorizon Network::CrossRankHorizon(Tick window_end) {
  MOEFAB_CHECK(ranks_ != nullptr, "CrossRankHorizon before TrackRanks");
  RankTracking& t = *ranks_;
  RankHorizon h;
  if (!t.enabled) return h;
  // Packets that arrived before window_end were handled there: the receiver now holds them
  // (waiting: its own bound) or has sent their credits already.
  while (!t.sent.empty() && t.sent.top().second < window_end) t.sent.pop();
  if (!t.sent.empty()) h.absolute = t.sent.top().first;
  if (!t.waiting.empty())
    h.after_start = SerializationPs(static_cast<std::uint64_t>(t.waiting.begin()->first) * options_.flit_bytes,
                                    t.max_bandwidth_mbytes_per_s) +
                    t.min_latency_ps + options_.credit_delay_ps;
  return h;
}

void Network::Impl::TrackSent(Network& net, const detail::Output& out, const PacketHeader& h, Tick arrival_ps) {
  RankTracking& t = *net.ranks_;
  // Its credit returns over the reverse link a wire after the packet frees the far buffer: at
  // its arrival if it is delivered there, else after its serialisation onwards at the earliest.
  const Tick back_ps = net.nodes_[out.dst].out[out.dst_port].latency_ps + net.options_.credit_delay_ps;
  const Tick onwards_ps = h.dst == out.dst ? 0
                                           : SerializationPs(static_cast<std::uint64_t>(h.flits) * net.options_.flit_bytes,
                                                             t.max_bandwidth_mbytes_per_s);
  t.sent.emplace(arrival_ps + onwards_ps + back_ps, arrival_ps);
}

void Network::Impl::TrackWaiting(Network& net, const NodeState& s, const detail::Slot& p) {
  RankTracking& t = *net.ranks_;
  if (p.input >= net.num_ports_ * net.num_vcs_) return;  // the chip's source queue
  if (!t.cut_input[static_cast<std::size_t>(s.id) * net.num_ports_ + net.input_port_[p.input]]) return;
  ++t.waiting[p.h.flits];
}

void Network::Impl::TrackLeft(Network& net, const NodeState& s, const detail::Slot& p) {
  RankTracking& t = *net.ranks_;
  if (p.input >= net.num_ports_ * net.num_vcs_) return;
  if (!t.cut_input[static_cast<std::size_t>(s.id) * net.num_ports_ + net.input_port_[p.input]]) return;
  auto it = t.waiting.find(p.h.flits);
  MOEFAB_CHECK(it != t.waiting.end() && it->second > 0, "a packet left a cut input it was never counted at");
  if (--it->second == 0) t.waiting.erase(it);
}

}  // namespace moefab::fabric
