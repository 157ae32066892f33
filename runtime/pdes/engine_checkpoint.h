// The engine's part of a checkpoint (Engine::SaveState / LoadState, declared in engine.h):
// the events still queued, in key order, each as (payload type, tick, key, node, payload),
// then every node's next sequence number and last handled tick, and the event count. Nothing
// of the windows is kept: a resumed run starts its windows afresh, which changes no result.
#pragma once

#include <string>
#include <vector>

#include "core/state_archive.h"
#include "runtime/pdes/engine.h"

namespace moefab::pdes {

template <class M, class... P>
void Engine<M, PayloadList<P...>>::SaveState(StateWriter& w) {
  MOEFAB_CHECK(outbox_min_ == kTickMax, "checkpoint with events not yet sent to other ranks");
  std::vector<Entry> entries;
  for (auto queue = heap_; !queue.empty(); queue.pop()) entries.push_back(queue.top());
  for (const auto& level : early_)
    for (auto queue = level; !queue.empty(); queue.pop()) entries.push_back(queue.top());
  w.Put(uint64_t{entries.size()});
  for (const Entry& e : entries) {
    const auto type = static_cast<uint8_t>(e.slot >> kSlotBits);
    w.Put(type);
    w.Put(e.tick);
    w.Put(e.rest);
    w.Put(e.node);
    const uint32_t slot = e.slot & ((1u << kSlotBits) - 1);
    [&]<size_t... I>(std::index_sequence<I...>) {
      ((type == I ? (w(std::get<I>(slabs_)[slot]), 0) : 0), ...);
    }(std::index_sequence_for<P...>{});
  }
  w(next_seq_, node_last_, now_, stats_.events);
}

template <class M, class... P>
void Engine<M, PayloadList<P...>>::LoadState(StateReader& r) {
  MOEFAB_CHECK(Empty(), "LoadState into an engine with events queued");
  const size_t count = r.GetCount(1 + sizeof(Tick) + sizeof(uint64_t) + sizeof(NodeId));
  for (size_t i = 0; i < count; ++i) {
    const auto type = r.Get<uint8_t>();
    const auto tick = r.Get<Tick>();
    const auto rest = r.Get<uint64_t>();
    const auto node = r.Get<NodeId>();
    if (type >= sizeof...(P)) r.Fail("an event of unknown payload type " + std::to_string(type));
    if (node >= owner_.size() || !Owns(node))
      r.Fail("an event of node " + std::to_string(node) + ", which rank " + std::to_string(transport_.rank()) +
             " does not own here");
    [&]<size_t... I>(std::index_sequence<I...>) {
      ((type == I ? (ReadPayload<I>(r, tick, rest, node), 0) : 0), ...);
    }(std::index_sequence_for<P...>{});
  }
  r(next_seq_, node_last_, now_, stats_.events);
  if (next_seq_.size() != owner_.size() || node_last_.size() != owner_.size())
    r.Fail("holds " + std::to_string(next_seq_.size()) + " nodes, this cluster has " + std::to_string(owner_.size()));
}

}  // namespace moefab::pdes
