// The cluster model's events for the PDES engine: their order classes and payload types.
//
// The engine orders events by (tick, class, origin node, origin sequence); the classes below
// are the cluster's numbering: fabric events first (fabric::NetEventKind, same order), then the
// chip events. Each payload type is as small as its own fields; the engine stores each type in
// its own slab and moves payloads, never copies them.
#pragma once

#include <cstdint>
#include <memory>

#include "core/byte_io.h"
#include "core/types.h"
#include "fabric/network.h"
#include "runtime/pdes/engine.h"

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
  kDeliver = 9,         // the fabric hands a reassembled message to the chip at `node`
  kSlotDone = 10,       // an expert slot of the chip at `node` finished job `job`
  kEgressDone = 11,     // a result left the egress port of the chip at `node`
  kSlotReady = 12,      // an expert slot can start its next job
  kAttentionDone = 13,  // attention + gate of (token, layer) finished on the attention core
  kCombineDone = 14,    // combine + residual of (token, layer) finished
  kTokenStart = 15,     // a token enters its home attention chip
  kAttentionBatch = 16,  // the attention core's next batch may be due (CONTINUOUS batching)
  kMemoryBatch = 17,     // an HBM expert chip's next batch may be due
  kMemoryBatchDone = 18,  // an HBM expert chip's batch finished
};
static_assert(static_cast<uint8_t>(EventKind::kDeliver) == fabric::kNumNetEventKinds);

enum class PacketType : uint8_t {
  kNone = 0,
  kExpertJob = 1,     // home -> expert chip: the token's activation vector for one expert
  kExpertResult = 2,  // expert chip -> home: the expert's output vector
};

/// A fabric event: the network's own event, handled by fabric::Network::Handle.
struct NetEventPayload {
  fabric::NetEvent e;
  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h): the payload stays shared
    ar(e);
  }
  void Encode(ByteWriter& w) const { fabric::AppendNetEvent(e, w); }
  static NetEventPayload Decode(ByteReader& r) { return {fabric::ReadNetEvent(r)}; }
};

/// A chip's own event (slot, egress, attention, combine, token start): which token, layer,
/// expert or job it is about (the fields its kind reads).
struct ChipEvent {
  uint32_t token = 0;   // token id
  uint32_t layer = 0;   // MoE layer
  uint32_t expert = 0;  // expert id within the layer
  uint64_t job = 0;     // chip-local job id (slot and egress events)
  void Encode(ByteWriter& w) const {
    w.Put(token);
    w.Put(layer);
    w.Put(expert);
    w.Put(job);
  }
  static ChipEvent Decode(ByteReader& r) {
    ChipEvent c;
    c.token = r.Get<uint32_t>();
    c.layer = r.Get<uint32_t>();
    c.expert = r.Get<uint32_t>();
    c.job = r.Get<uint64_t>();
    return c;
  }
};

/// A message the fabric delivered to the chip at the event's node: what it is about (from
/// its tag), where it came from, and its bytes (shared with the fabric, never copied; null in
/// timing-only runs).
struct Delivery {
  PacketType packet = PacketType::kNone;
  uint32_t token = 0, layer = 0, expert = 0;
  NodeId src = 0;                               // sending node
  Tick injected_ps = 0;                         // it entered the fabric (ps)
  uint64_t bytes = 0;                           // payload bytes on the wire
  std::shared_ptr<const fabric::Payload> data;  // the bytes, or null (timing only)
  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(packet, token, layer, expert, src, injected_ps, bytes, data);
  }
  void Encode(ByteWriter& w) const {
    w.Put(packet);
    w.Put(token);
    w.Put(layer);
    w.Put(expert);
    w.Put(src);
    w.Put(injected_ps);
    w.Put(bytes);
    w.Put(static_cast<uint64_t>(data ? data->size() : ~0ull));
    if (data) w.PutBytes(data->data(), data->size());
  }
  static Delivery Decode(ByteReader& r) {
    Delivery d;
    d.packet = r.Get<PacketType>();
    d.token = r.Get<uint32_t>();
    d.layer = r.Get<uint32_t>();
    d.expert = r.Get<uint32_t>();
    d.src = r.Get<NodeId>();
    d.injected_ps = r.Get<Tick>();
    d.bytes = r.Get<uint64_t>();
    const auto n = r.Get<uint64_t>();
    if (n != ~0ull) {
      auto buf = std::make_shared<fabric::Payload>(n);
      r.GetBytes(buf->data(), n);
      d.data = std::move(buf);
    }
    return d;
  }
};

using ClusterPayloads = pdes::PayloadList<NetEventPayload, ChipEvent, Delivery>;

}  // namespace moefab
