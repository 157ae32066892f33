#include "fabric/driver.h"

#include <algorithm>
#include <utility>

#include "runtime/core/error.h"

namespace moefab::fabric {

SequentialDriver::SequentialDriver(Network& network)
    : network_(network), lookahead_ps_(network.MinCrossNodeDelayPs()), next_seq_(network.num_nodes(), 0) {
  MOEFAB_CHECK(network.num_nodes() < (1u << 24), "driver keys hold 2^24 nodes");
  for (NodeId n = 0; n < network.num_nodes(); ++n) {
    for (NetEvent& e : network.InitialEvents(n)) Schedule(std::move(e));
  }
}

void SequentialDriver::Schedule(NetEvent&& e) {
  MOEFAB_CHECK(e.tick >= now_, "event at " << e.tick << " scheduled in the past (now " << now_ << ")");
  const std::uint64_t seq = next_seq_[e.origin]++;
  MOEFAB_CHECK(seq < (std::uint64_t{1} << 36), "driver sequence overflow at node " << e.origin);
  e.seq = seq;
  // The PDES contract: an event for another node is at least one lookahead ahead.
  MOEFAB_CHECK(e.node == e.origin || e.tick >= now_ + lookahead_ps_,
               "event kind " << static_cast<int>(e.kind) << " from node " << e.origin << " to node "
                             << e.node << " at " << e.tick << " is closer than the lookahead "
                             << lookahead_ps_ << " ps to now " << now_);
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    if (slab_size_ % kChunk == 0) chunks_.push_back(std::make_unique<NetEvent[]>(kChunk));
    slot = slab_size_++;
  }
  NetEvent& s = Slot(slot);
  s = std::move(e);
  const std::uint64_t rest =
      (static_cast<std::uint64_t>(s.kind) << 60) | (static_cast<std::uint64_t>(s.origin) << 36) | seq;
  Push(Key{(static_cast<Order>(s.tick) << 64) | rest, slot});
}

void SequentialDriver::Deliver(DeliveredMessage m) {
  if (on_deliver_) on_deliver_(m);
}

void SequentialDriver::Push(Key k) {
  std::size_t i = heap_.size();
  heap_.push_back(k);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!(k.order < heap_[parent].order)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
  peak_pending_ = std::max(peak_pending_, heap_.size());
}

SequentialDriver::Key SequentialDriver::Pop() {
  const Key top = heap_[0];
  const Key last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  std::size_t i = 0;
  for (;;) {
    const std::size_t c = 4 * i + 1;
    if (c >= n) break;
    std::size_t best = c;
    if (c + 4 <= n) {
      // Branch-free minimum of four children.
      const std::size_t b01 = heap_[c + 1].order < heap_[c].order ? c + 1 : c;
      const std::size_t b23 = heap_[c + 3].order < heap_[c + 2].order ? c + 3 : c + 2;
      best = heap_[b23].order < heap_[b01].order ? b23 : b01;
    } else {
      for (std::size_t j = c + 1; j < n; ++j) {
        if (heap_[j].order < heap_[best].order) best = j;
      }
    }
    if (!(heap_[best].order < last.order)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
  return top;
}

void SequentialDriver::HandleTop() {
  const Key k = Pop();
  now_ = static_cast<Tick>(k.order >> 64);
  ++events_;
  NetEvent& e = Slot(k.slot);  // stable while the handler schedules more
  network_.Handle(e, *this);
  e.data.reset();
  free_.push_back(k.slot);
}

void SequentialDriver::RunUntil(Tick end_ps) {
  while (!heap_.empty() && static_cast<Tick>(heap_[0].order >> 64) < end_ps) HandleTop();
  now_ = std::max(now_, end_ps);
}

Tick SequentialDriver::RunToIdle() {
  while (!heap_.empty()) HandleTop();
  return now_;
}

}  // namespace moefab::fabric
