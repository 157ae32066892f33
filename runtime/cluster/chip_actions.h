// What a chip asks of the cluster while it handles one of its events: schedule its own
// events, hand a message to its node's router, and read the time.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.h"
#include "runtime/cluster/cluster_event.h"

namespace moefab {

/// A message a chip sends: an expert job (home -> expert chip) or a result (expert -> home).
struct OutgoingMessage {
  PacketType packet = PacketType::kNone;
  NodeId src = 0;  // the sending chip's node (the handling node)
  NodeId dst = 0;  // destination node
  uint32_t token = 0, layer = 0, expert = 0;
  uint64_t bytes = 0;           // bytes on the wire when there is no payload (timing only)
  std::vector<int8_t> payload;  // the real bytes (empty: timing only)
};

class ChipActions {
 public:
  virtual ~ChipActions() = default;
  /// An event of the chip at `node` (the handling node) at `tick` >= now.
  virtual void Schedule(NodeId node, EventKind kind, Tick tick, const ChipEvent& e) = 0;
  /// The message enters the router of its source node now.
  virtual void Send(OutgoingMessage m) = 0;
  [[nodiscard]] virtual Tick now() const = 0;
};

}  // namespace moefab
