// Cross-rank form of fabric events: AppendNetEvent / ReadNetEvent.
#include "fabric/network.h"

#include <cstring>
#include <memory>
#include <type_traits>

#include "runtime/core/error.h"

namespace moefab::fabric {

namespace {
template <typename T>
void Put(std::vector<std::byte>& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}
template <typename T>
T Get(const std::vector<std::byte>& in, std::size_t& off) {
  MOEFAB_CHECK(off + sizeof(T) <= in.size(), "truncated fabric event");
  T v;
  std::memcpy(&v, in.data() + off, sizeof(T));
  off += sizeof(T);
  return v;
}
}  // namespace

void AppendNetEvent(const NetEvent& e, std::vector<std::byte>& out) {
  static_assert(std::is_trivially_copyable_v<PacketHeader>);
  Put(out, e.tick);
  Put(out, e.kind);
  Put(out, e.node);
  Put(out, e.origin);
  Put(out, e.seq);
  Put(out, e.port);
  Put(out, e.vc);
  Put(out, e.value);
  Put(out, e.epoch);
  Put(out, e.packet);
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
  Put(out, static_cast<std::uint8_t>(has));
  Put(out, from);
  Put(out, len);
  if (has && len > 0) {
    MOEFAB_CHECK(from >= e.data_offset && from + len <= e.data_offset + e.data->size(), "event data slice out of range");
    const std::size_t at = out.size();
    out.resize(at + len);
    std::memcpy(out.data() + at, e.data->data() + (from - e.data_offset), len);
  }
}

NetEvent ReadNetEvent(const std::vector<std::byte>& in, std::size_t& offset) {
  NetEvent e;
  e.tick = Get<Tick>(in, offset);
  e.kind = Get<NetEventKind>(in, offset);
  e.node = Get<NodeId>(in, offset);
  e.origin = Get<NodeId>(in, offset);
  e.seq = Get<std::uint64_t>(in, offset);
  e.port = Get<PortId>(in, offset);
  e.vc = Get<std::uint32_t>(in, offset);
  e.value = Get<std::uint32_t>(in, offset);
  e.epoch = Get<std::uint32_t>(in, offset);
  e.packet = Get<PacketHeader>(in, offset);
  const bool has = Get<std::uint8_t>(in, offset) != 0;
  const auto from = Get<std::uint64_t>(in, offset);
  const auto len = Get<std::uint64_t>(in, offset);
  if (has) {
    MOEFAB_CHECK(offset + len <= in.size(), "truncated fabric event payload");
    auto d = std::make_shared<Payload>(len);
    if (len > 0) std::memcpy(d->data(), in.data() + offset, len);
    offset += len;
    e.data = std::move(d);
    e.data_offset = from;
  }
  return e;
}

}  // namespace moefab::fabric
