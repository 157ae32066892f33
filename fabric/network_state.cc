// Checkpoints of the network: the dynamic state of a process's nodes and its network-wide
// counters, written and read by one member list (core/state_archive.h). The wiring, routing
// tables and link timing are not saved: they follow from the settings, which a resumed run
// must share.
#include <string>

#include "core/state_archive.h"
#include "fabric/network.h"
#include "fabric/network_internal.h"

namespace moefab::fabric {

template <class Ar>
void Network::Impl::ArchiveState(Network& net, Ar& ar, const std::vector<NodeId>& nodes) {
  // Which nodes, so that a checkpoint of another rank or another cluster is refused.
  if constexpr (Ar::kLoading) {
    const auto count = ar.template Get<std::uint64_t>();
    if (count != nodes.size())
      ar.Fail("holds the state of " + std::to_string(count) + " nodes, expected " + std::to_string(nodes.size()));
  } else {
    ar.Put(std::uint64_t{nodes.size()});
  }
  for (const NodeId n : nodes) {
    MOEFAB_CHECK(n < net.nodes_.size(), "checkpoint of node " << n << " of " << net.nodes_.size());
    if constexpr (Ar::kLoading) {
      const auto id = ar.template Get<NodeId>();
      if (id != n) ar.Fail("holds node " + std::to_string(id) + " where node " + std::to_string(n) + " was expected");
    } else {
      ar.Put(n);
    }
    net.nodes_[n].Archive(ar);
  }
  ar(net.credits_without_events_, net.packet_latency_, net.message_latency_);
  std::uint8_t tracking = net.ranks_ != nullptr;
  if constexpr (Ar::kLoading) {
    const auto saved = ar.template Get<std::uint8_t>();
    if (saved != tracking) ar.Fail(saved ? "comes from a run over several ranks" : "comes from a run on one rank");
  } else {
    ar.Put(tracking);
  }
  if (net.ranks_) net.ranks_->Archive(ar);
}

void Network::SaveState(StateWriter& w, const std::vector<NodeId>& nodes) { Impl::ArchiveState(*this, w, nodes); }

void Network::LoadState(StateReader& r, const std::vector<NodeId>& nodes) { Impl::ArchiveState(*this, r, nodes); }

}  // namespace moefab::fabric
