// Events of the cluster model and their total order. The order key is
// (tick, kind, origin node, origin sequence number): it never depends on the rank count,
// the chip-to-rank mapping, pointer values or hash-map order, so every run repeats bit for bit.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "fabric/network.h"
#include "runtime/byte_io.h"
#include "runtime/core/types.h"

namespace moefab {

enum class EventKind : uint8_t {
  // Fabric events (fabric::NetEventKind, same order): routers, credits, rewiring.
  kNetCredit = 0,
  kNetCreditSync = 1,
  kNetOutputFree = 2,
  kNetPacket = 3,
  kNetInject = 4,
  kNetWatchdog = 5,
  kNetReconfigBegin = 6,
  kNetReconfigDrained = 7,
  kNetReconfigInstall = 8,
  // Chip events.
  kDeliver = 9,          // the fabric hands a reassembled message to the chip at `node`
  kSlotDone = 10,        // an expert slot of the chip at `node` finished job `job`
  kEgressDone = 11,      // a result left the egress port of the chip at `node`
  kSlotReady = 12,       // an expert slot can start its next job
  kAttentionDone = 13,   // attention + gate of (token, layer) finished on the attention core
  kCombineDone = 14,     // combine + residual of (token, layer) finished
  kTokenStart = 15,      // a token enters its home attention chip
};

inline constexpr bool IsNetEvent(EventKind k) { return static_cast<uint8_t>(k) < fabric::kNumNetEventKinds; }
inline constexpr EventKind EventKindOf(fabric::NetEventKind k) { return static_cast<EventKind>(k); }
static_assert(static_cast<uint8_t>(EventKind::kDeliver) == fabric::kNumNetEventKinds);

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
  // What it is about (chip events).
  uint32_t token = 0;                 // token id
  uint32_t layer = 0;                 // MoE layer
  uint32_t expert = 0;                // expert id within the layer
  uint64_t job = 0;                   // chip-local job id (slot and egress events)
  PacketType packet = PacketType::kNone;  // messages only
  NodeId src = 0;                     // message source node
  NodeId dst = 0;                     // message destination node
  Tick injected = 0;                  // message: tick it entered the fabric (ps)
  uint64_t bytes = 0;                 // message: bytes on the wire (payload.size() when it has data)
  std::vector<int8_t> payload;        // message: the real activation bytes (empty: timing only)
  fabric::NetEvent net;               // fabric events only

  [[nodiscard]] auto Key() const { return std::tie(tick, kind, origin, seq); }
};

/// For std::priority_queue: the smallest key on top.
struct EventLater {
  bool operator()(const Event& a, const Event& b) const { return a.Key() > b.Key(); }
};

/// Cross-rank form: the order key and node, then the fabric event (its own compact form with
/// only the packet's payload slice) or the chip fields.
inline void SerializeEvent(const Event& e, Bytes& out) {
  ByteWriter w(out);
  w.Put(e.tick);
  w.Put(e.kind);
  w.Put(e.origin);
  w.Put(e.seq);
  w.Put(e.node);
  if (IsNetEvent(e.kind)) {
    fabric::AppendNetEvent(e.net, out);
    return;
  }
  w.Put(e.token);
  w.Put(e.layer);
  w.Put(e.expert);
  w.Put(e.job);
  w.Put(e.packet);
  w.Put(e.src);
  w.Put(e.dst);
  w.Put(e.injected);
  w.Put(e.bytes);
  w.PutVector(e.payload);
}

/// Reads one event written by SerializeEvent at `offset` and advances it.
inline Event DeserializeEvent(const Bytes& in, size_t& offset) {
  ByteReader r(std::span<const std::byte>(in).subspan(offset));
  Event e;
  e.tick = r.Get<Tick>();
  e.kind = r.Get<EventKind>();
  e.origin = r.Get<NodeId>();
  e.seq = r.Get<uint64_t>();
  e.node = r.Get<NodeId>();
  if (IsNetEvent(e.kind)) {
    offset += r.pos();
    e.net = fabric::ReadNetEvent(in, offset);
    return e;
  }
  e.token = r.Get<uint32_t>();
  e.layer = r.Get<uint32_t>();
  e.expert = r.Get<uint32_t>();
  e.job = r.Get<uint64_t>();
  e.packet = r.Get<PacketType>();
  e.src = r.Get<NodeId>();
  e.dst = r.Get<NodeId>();
  e.injected = r.Get<Tick>();
  e.bytes = r.Get<uint64_t>();
  e.payload = r.GetVector<int8_t>();
  offset += r.pos();
  return e;
}

}  // namespace moefab
