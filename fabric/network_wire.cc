// Cross-rank form of fabric events: AppendNetEvent / ReadNetEvent.
#include "fabric/network.h"

#include <cstring>
#include <memory>
#include <type_traits>

#include "core/error.h"

namespace moefab::fabric {

void AppendNetEvent(const NetEvent& e, ByteWriter& out) {
  static_assert(std::is_trivially_copyable_v<PacketHeader>);
  out.Put(e.tick);
  out.Put(e.kind);
  out.Put(e.node);
  out.Put(e.origin);
  out.Put(e.seq);
  out.Put(e.port);
  out.Put(e.vc);
  out.Put(e.value);
  out.Put(e.epoch);
  out.Put(e.packet);
  // Only the bytes this event needs: a packet's own slice, or a whole injected message.
  std::uint64_t from = 0, len = 0;
  const bool has = e.data != nullptr;
  if (has) {
    if (e.kind == NetEventKind::kPacket) {
      from = e.packet.offset;
      len = e.packet.payload_bytes;
    } else {
      from = e.data_offset;
      len = e.data->size();
    }
  }
  out.Put(static_cast<std::uint8_t>(has));
  out.Put(from);
  out.Put(len);
  if (has && len > 0) {
    MOEFAB_CHECK(from >= e.data_offset && from + len <= e.data_offset + e.data->size(),
                 "event data slice out of range");
    out.PutBytes(e.data->data() + (from - e.data_offset), len);
  }
}

NetEvent ReadNetEvent(ByteReader& in) {
  NetEvent e;
  e.tick = in.Get<Tick>();
  e.kind = in.Get<NetEventKind>();
  e.node = in.Get<NodeId>();
  e.origin = in.Get<NodeId>();
  e.seq = in.Get<std::uint64_t>();
  e.port = in.Get<PortId>();
  e.vc = in.Get<std::uint32_t>();
  e.value = in.Get<std::uint32_t>();
  e.epoch = in.Get<std::uint32_t>();
  e.packet = in.Get<PacketHeader>();
  const bool has = in.Get<std::uint8_t>() != 0;
  const auto from = in.Get<std::uint64_t>();
  const auto len = in.Get<std::uint64_t>();
  if (has) {
    auto d = std::make_shared<Payload>(len);
    in.GetBytes(d->data(), len);
    e.data = std::move(d);
    e.data_offset = from;
  }
  return e;
}

}  // namespace moefab::fabric
