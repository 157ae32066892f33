// Network: deferred credits, applied without an event of their own.
//
// Most credits reach an output with no packet waiting: the event only
// adds to a counter that nothing reads before the router's next event. A context that defers
// credits (NetContext::DefersCredits: the runtime's engine and the sequential driver) lets
// ReturnCredit hold such a credit in the upstream router's list instead, when that router
// belongs to this process and no rewiring is configured. Its handler applies the credits that
// have arrived before anything else (HandleT: a credit's kind sorts first at a tick, so no
// event it would have followed is skipped), and when a packet starts to wait at the output
// (Enqueue) its deferred credits become events under the keys they would have had (the
// sequence number was reserved when the credit was made). The result is the same bit for bit;
// only the count of events falls.
#include "fabric/network.h"

#include <algorithm>

#include "fabric/network_internal.h"

namespace moefab::fabric {

void Network::Impl::AbsorbCredits(Network& net, NodeState& s, Tick now) {
  Tick next = kTickMax;
  std::size_t kept = 0;
  for (const detail::DeferredCredit& c : s.deferred) {
    if (c.tick <= now) {
      s.credits[c.port * net.num_vcs_ + c.vc] += c.flits;
      --s.out[c.port].deferred;
      ++net.credits_without_events_;
    } else {
      s.deferred[kept++] = c;
      next = std::min(next, c.tick);
    }
  }
  s.deferred.resize(kept);
  s.deferred_min = next;
}

}  // namespace moefab::fabric
