// Private to fabric/network*.cc: the per-node router state behind Network (NodeState) and its
// parts (queued packet slots, outputs, reassembly). Not installed, not part of the API.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "fabric/serialization.h"
#include "fabric/network.h"
#include "core/error.h"

// MOEFAB_CHECK for the per-hop handlers: the message is built in a cold lambda of its own, so
// the handler keeps a small stack frame and few saved registers on the path that passes.
#define MOEFAB_HOT_CHECK(cond, msg)                                                    \
  do {                                                                                 \
    if (!(cond)) [[unlikely]] {                                                        \
      [&]() __attribute__((noinline, cold)) {                                          \
        std::ostringstream moefab_check_os_;                                           \
        moefab_check_os_ << msg;                                                       \
        ::moefab::CheckFailed(__FILE__, __LINE__, #cond, moefab_check_os_.str());      \
      }();                                                                             \
    }                                                                                  \
  } while (0)

namespace moefab::fabric {

namespace detail {

inline constexpr std::uint32_t kNil = ~0u;

// A packet waiting in a router: in a virtual output queue (input, output).
struct Slot {
  PacketHeader h;
  std::shared_ptr<const Payload> data;  // message bytes (shared), or null
  std::uint64_t data_offset = 0;        // message offset of data->front()
  Tick wait_since_ps = 0;               // entered its current queue
  std::uint32_t next = kNil;            // next slot in the same queue
  std::uint32_t input = 0;              // in_port * V + vc, or the injection input
  PortId out = 0;                       // output port chosen by routing
  std::uint32_t out_vc = 0;             // VC of the downstream buffer
};

struct Output {
  Tick busy_until_ps = 0;        // the last tail leaves at this tick
  Tick progress_ps = 0;          // last departure, or when packets started to wait
  std::uint32_t waiting = 0;     // packets queued for this output
  std::uint32_t rr = 0;          // round-robin: first input to consider
  std::uint32_t link_epoch = 0;  // wiring epoch in which the current link was installed
  bool free_pending = false;     // a kOutputFree event is scheduled
  bool draining = false;         // a reconfiguration holds this output
  // The current link of this port (a copy of the wiring's OutLink, refreshed on rewiring). The
  // same port's input buffer is fed by the reverse link, so credits go back over it too.
  bool present = false;          // a link is installed
  bool dateline = false;         // the link is a wrap link (DOR datelines)
  bool linear = false;           // n flits take exactly n * flit_ps (bandwidth divides evenly)
  PortId dst_port = 0;           // input port at the far end
  NodeId dst = kNoNode;          // far end
  Tick latency_ps = 0;           // wire latency
  Tick flit_ps = 0;              // serialization of one flit
  std::uint64_t bandwidth_mbytes_per_s = 0;
  // Statistics.
  std::uint64_t packets = 0;
  std::uint64_t flits = 0;
  std::uint64_t bytes = 0;
  Tick busy_ps = 0;
  std::uint32_t peak_waiting = 0;
};

struct Reassembly {
  std::uint32_t received = 0;              // packets so far
  std::vector<bool> got;                   // per packet index: arrived (no duplicates)
  std::shared_ptr<const Payload> whole;    // all packets so far shared this full buffer
  std::shared_ptr<Payload> assembled;      // else: bytes copied in by offset
};

}  // namespace detail

struct NodeState {
  NodeId id = 0;
  std::uint32_t epoch = 0;                         // wiring in force at this node
  std::vector<detail::Slot> slots;                 // packet pool
  std::vector<std::uint32_t> free_slots;           // unused pool entries
  std::vector<std::uint32_t> head, tail;           // [input * P + out]: queue of slots
  std::vector<std::uint64_t> mask;                 // [out * words + w]: inputs with a queue
  std::vector<detail::Output> out;                 // per output port
  std::vector<std::uint32_t> credits;              // [out * V + vc]: free flits downstream
  std::vector<std::uint32_t> occupancy;            // [in_port * V + vc]: flits held
  std::vector<std::uint32_t> peak;                 // [in_port * V + vc]: most flits held
  std::vector<std::uint32_t> in_epoch;             // [in_port]: epoch of the incoming link
  bool watchdog_pending = false;                   // a kWatchdog event is scheduled
  std::uint64_t next_message = 0;                  // per-source message counter
  std::uint64_t held = 0;                          // slots in use
  std::unordered_map<MessageId, detail::Reassembly> reassembly;  // by message (never iterated)
  NodeStats stats;
  std::vector<ReconfigStats> reconfig;             // this node's share of each reconfiguration
  std::vector<std::uint32_t> drained_reports;      // controller: nodes drained, per reconfig
};

using detail::kNil;

}  // namespace moefab::fabric
