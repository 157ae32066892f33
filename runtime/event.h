// Events of the cluster model and their total order. The order key is
// (tick, kind, origin node, origin sequence number): it never depends on the rank count,
// the chip-to-rank mapping, pointer values or hash-map order, so every run repeats bit for bit.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "runtime/byte_io.h"
#include "runtime/core/types.h"

namespace moefab {

enum class EventKind : uint8_t {
  kPacketAtRouter = 0,  // a packet's tail reached the router of `node`
  kDeliver = 1,         // the router of `node` hands a packet to its chip
  kSlotDone = 2,        // an expert slot of the chip at `node` finished job `job`
  kEgressDone = 3,      // a result left the egress port of the chip at `node`
  kSlotReady = 4,       // an expert slot can start its next job
  kAttentionDone = 5,   // attention + gate of (token, layer) finished on the attention core
  kCombineDone = 6,     // combine + residual of (token, layer) finished
  kTokenStart = 7,      // a token enters its home attention chip
};

enum class PacketType : uint8_t {
  kNone = 0,
  kExpertJob = 1,     // home -> expert chip: the token's activation vector for one expert
  kExpertResult = 2,  // expert chip -> home: the expert's output vector
};

struct Event {
  // Order key.
  Tick tick = 0;                      // when it happens (ps)
  EventKind kind = EventKind::kTokenStart;
  NodeId origin = 0;                  // node whose handler created the event
  uint64_t seq = 0;                   // per-origin creation counter
  // Where it is handled.
  NodeId node = 0;                    // the node whose state the handler touches
  // What it is about.
  uint32_t token = 0;                 // token id
  uint32_t layer = 0;                 // MoE layer
  uint32_t expert = 0;                // expert id within the layer
  uint64_t job = 0;                   // chip-local job id (slot and egress events)
  PacketType packet = PacketType::kNone;  // packet events only
  NodeId src = 0;                     // packet source node
  NodeId dst = 0;                     // packet destination node
  Tick injected = 0;                  // packet: tick it entered the fabric (ps)
  std::vector<int8_t> payload;        // packet: the real activation bytes

  [[nodiscard]] auto Key() const { return std::tie(tick, kind, origin, seq); }
};

/// For std::priority_queue: the smallest key on top.
struct EventLater {
  bool operator()(const Event& a, const Event& b) const { return a.Key() > b.Key(); }
};

inline void SerializeEvent(const Event& e, ByteWriter& w) {
  w.Put(e.tick);
  w.Put(e.kind);
  w.Put(e.origin);
  w.Put(e.seq);
  w.Put(e.node);
  w.Put(e.token);
  w.Put(e.layer);
  w.Put(e.expert);
  w.Put(e.job);
  w.Put(e.packet);
  w.Put(e.src);
  w.Put(e.dst);
  w.Put(e.injected);
  w.PutVector(e.payload);
}

inline Event DeserializeEvent(ByteReader& r) {
  Event e;
  e.tick = r.Get<Tick>();
  e.kind = r.Get<EventKind>();
  e.origin = r.Get<NodeId>();
  e.seq = r.Get<uint64_t>();
  e.node = r.Get<NodeId>();
  e.token = r.Get<uint32_t>();
  e.layer = r.Get<uint32_t>();
  e.expert = r.Get<uint32_t>();
  e.job = r.Get<uint64_t>();
  e.packet = r.Get<PacketType>();
  e.src = r.Get<NodeId>();
  e.dst = r.Get<NodeId>();
  e.injected = r.Get<Tick>();
  e.payload = r.GetVector<int8_t>();
  return e;
}

}  // namespace moefab
