// Network: the cross-rank horizon of a PDES run (TrackRanks, CrossRankLookaheadPs,
// CrossRankHorizon, PacketLookaheadPs, PeerBound) and its bookkeeping on the packet path
// (network_router.cc calls TrackSent, TrackWaiting and TrackLeft).
#include <algorithm>

#include "fabric/network.h"
#include "fabric/network_internal.h"

namespace moefab::fabric {

void Network::TrackRanks(const std::vector<RankId>& owner, RankId me) {
  MOEFAB_CHECK(owner.size() == num_nodes(), "owner map of " << owner.size() << " nodes");
  ranks_ = std::make_unique<RankTracking>();
  RankTracking& t = *ranks_;
  t.me = me;
  t.owner = owner;
  t.enabled = options_.reconfigurations.empty();
  RankId ranks = 0;
  for (RankId r : owner) ranks = std::max<RankId>(ranks, r + 1);
  ranks = std::max<RankId>(ranks, me + 1);
  t.sent.resize(ranks);
  t.waiting.resize(ranks);
  t.peer_lookahead_ps.assign(ranks, kTickMax);
  t.credit_wire_ps.assign(ranks, kTickMax);
  t.remote.resize(num_nodes());
  for (NodeId n = 0; n < num_nodes(); ++n) t.remote[n] = owner[n] != me;
  t.cut_input.assign(static_cast<std::size_t>(num_nodes()) * num_ports_, 0);
  const Topology& topo = topology();
  for (NodeId n = 0; n < num_nodes(); ++n) {
    for (PortId p = 0; p < num_ports_; ++p) {
      const OutLink& l = topo.Out(n, p);
      if (!l.present) continue;
      t.max_bandwidth_mbytes_per_s = std::max(t.max_bandwidth_mbytes_per_s, l.bandwidth_mbytes_per_s);
      // The input port p of n is fed by the reverse of this link.
      if (owner[n] == me && owner[l.dst] != me) t.cut_input[static_cast<std::size_t>(n) * num_ports_ + p] = 1;
      if (owner[n] == owner[l.dst]) continue;
      const Tick packet =
          l.latency_ps + SerializationPs(options_.flit_bytes, l.bandwidth_mbytes_per_s) + options_.router_delay_ps;
      t.lookahead_ps = std::min(t.lookahead_ps, packet);
      if (owner[n] == me) {
        t.peer_lookahead_ps[owner[l.dst]] = std::min(t.peer_lookahead_ps[owner[l.dst]], packet);
        t.credit_wire_ps[owner[l.dst]] = std::min(t.credit_wire_ps[owner[l.dst]], l.latency_ps);
      }
    }
  }
  if (!t.enabled) {
    // With rewiring the wiring (and so the cut) changes: the static lookahead of every event.
    t.lookahead_ps = MinCrossNodeDelayPs(owner);
    for (RankId r = 0; r < ranks; ++r) t.peer_lookahead_ps[r] = r == me ? kTickMax : t.lookahead_ps;
  }
}

Tick Network::CrossRankLookaheadPs() const {
  MOEFAB_CHECK(ranks_ != nullptr, "CrossRankLookaheadPs before TrackRanks");
  return ranks_->lookahead_ps;
}

Tick Network::PacketLookaheadPs(RankId peer) const {
  MOEFAB_CHECK(ranks_ != nullptr && peer < ranks_->peer_lookahead_ps.size(), "PacketLookaheadPs of rank " << peer);
  return ranks_->peer_lookahead_ps[peer];
}

std::vector<Tick> Network::CrossRankSlackPs() const {
  MOEFAB_CHECK(ranks_ != nullptr, "CrossRankSlackPs before TrackRanks");
  const RankTracking& t = *ranks_;
  std::vector<Tick> slack(num_nodes(), 0);
  if (!t.enabled) return slack;
  // Breadth-first from every node another rank owns, over the links of the (only) wiring in
  // either direction (packets go down a link, credits come back up).
  const Topology& topo = topology();
  std::vector<std::vector<NodeId>> next(num_nodes());
  for (NodeId n = 0; n < num_nodes(); ++n)
    for (PortId p = 0; p < num_ports_; ++p)
      if (const OutLink& l = topo.Out(n, p); l.present) {
        next[n].push_back(l.dst);
        next[l.dst].push_back(n);
      }
  constexpr std::uint32_t kFar = ~0u;
  std::vector<std::uint32_t> hops(num_nodes(), kFar);
  std::vector<NodeId> queue;
  for (NodeId n = 0; n < num_nodes(); ++n)
    if (t.remote[n]) {
      hops[n] = 0;
      queue.push_back(n);
    }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const NodeId u = queue[head];
    for (const NodeId v : next[u]) {
      if (hops[v] != kFar) continue;
      hops[v] = hops[u] + 1;
      queue.push_back(v);
    }
  }
  const Tick hop_ps = MinCrossNodeDelayPs();
  for (NodeId n = 0; n < num_nodes(); ++n)
    if (!t.remote[n] && hops[n] != kFar && hops[n] > 1) slack[n] = (hops[n] - 1) * hop_ps;
  return slack;
}

Network::PeerHorizon Network::PeerBound(RankId peer, Tick peer_done) {
  MOEFAB_CHECK(ranks_ != nullptr && peer < ranks_->sent.size(), "PeerBound of rank " << peer);
  RankTracking& t = *ranks_;
  PeerHorizon h;
  if (!t.enabled) {
    h.credits_out_after = t.lookahead_ps;  // the static lookahead covers credits too
    return h;
  }
  // Packets that arrived before peer_done were handled there: the peer now holds them
  // (waiting: its own bound) or has sent their credits already.
  auto& sent = t.sent[peer];
  while (!sent.empty() && sent.top().second < peer_done) sent.pop();
  if (!sent.empty()) h.credits_in = sent.top().first;
  // A packet waiting at an input fed by `peer` frees its buffer after its serialisation onwards
  // at the earliest; the credit then goes back over that input's own link, a link from here to
  // `peer` (the reverse of the one the packet came in on).
  const auto& waiting = t.waiting[peer];
  if (!waiting.empty()) {
    MOEFAB_CHECK(t.credit_wire_ps[peer] != kTickMax,
                 "packets wait at inputs fed by rank " << peer << " but no link leads back to it");
    h.credits_out_after = SerializationPs(static_cast<std::uint64_t>(waiting.begin()->first) * options_.flit_bytes,
                                          t.max_bandwidth_mbytes_per_s) +
                          t.credit_wire_ps[peer] + options_.credit_delay_ps;
  }
  return h;
}

Network::RankHorizon Network::CrossRankHorizon(Tick window_end) {
  MOEFAB_CHECK(ranks_ != nullptr, "CrossRankHorizon before TrackRanks");
  RankHorizon h;
  if (!ranks_->enabled) return h;
  for (RankId r = 0; r < ranks_->sent.size(); ++r) {
    if (r == ranks_->me) continue;
    const PeerHorizon p = PeerBound(r, window_end);
    h.credits_in = std::min(h.credits_in, p.credits_in);
    h.credits_out_after = std::min(h.credits_out_after, p.credits_out_after);
  }
  return h;
}

void Network::Impl::TrackSent(Network& net, const detail::Output& out, const PacketHeader& h, Tick arrival_ps) {
  RankTracking& t = *net.ranks_;
  // Its credit returns over the reverse link a wire after the packet frees the far buffer: at
  // its arrival if it is delivered there, else after its serialisation onwards at the earliest.
  const Tick back_ps = net.nodes_[out.dst].out[out.dst_port].latency_ps + net.options_.credit_delay_ps;
  const Tick onwards_ps = h.dst == out.dst
                              ? 0
                              : SerializationPs(static_cast<std::uint64_t>(h.flits) * net.options_.flit_bytes,
                                                t.max_bandwidth_mbytes_per_s);
  t.sent[t.owner[out.dst]].emplace(arrival_ps + onwards_ps + back_ps, arrival_ps);
}

void Network::Impl::TrackWaiting(Network& net, const NodeState& s, const detail::Slot& p) {
  RankTracking& t = *net.ranks_;
  if (p.input >= net.num_ports_ * net.num_vcs_) return;  // the chip's source queue
  const PortId port = net.input_port_[p.input];
  if (!t.cut_input[static_cast<std::size_t>(s.id) * net.num_ports_ + port]) return;
  ++t.waiting[t.owner[s.out[port].dst]][p.h.flits];
}

void Network::Impl::TrackLeft(Network& net, const NodeState& s, const detail::Slot& p) {
  RankTracking& t = *net.ranks_;
  if (p.input >= net.num_ports_ * net.num_vcs_) return;
  const PortId port = net.input_port_[p.input];
  if (!t.cut_input[static_cast<std::size_t>(s.id) * net.num_ports_ + port]) return;
  auto& waiting = t.waiting[t.owner[s.out[port].dst]];
  auto it = waiting.find(p.h.flits);
  MOEFAB_CHECK(it != waiting.end() && it->second > 0, "a packet left a cut input it was never counted at");
  if (--it->second == 0) waiting.erase(it);
}

}  // namespace moefab::fabric
