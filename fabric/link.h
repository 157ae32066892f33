// Link timing: an output-queued, store-and-forward, directed link with infinite buffers.
//
// Models: per-hop router delay, one-way wire latency, serialization at the link bandwidth,
// FIFO output queueing (a packet waits until the link is free), and per-link statistics.
// Omits: virtual cut-through (a packet's head may leave before its tail arrives), finite
// buffers and credit back-pressure, virtual channels, link-level retries and energy; these
// come with issue 4. Pure functions over a caller-owned LinkState: the runtime's engine calls
// them when it processes a packet arrival; this file holds no event queue and no clock.
#pragma once

#include <cstdint>

#include "core/types.h"

namespace moefab::fabric {

/// Timing parameters shared by all links of a fabric.
struct LinkParams {
  Tick router_delay_ps = 0;              // per hop: arrival at a router -> ready at an output port
  Tick wire_latency_ps = 0;              // one-way propagation per link, ps
  std::uint64_t bandwidth_mbytes_per_s = 50000;  // per direction, MB/s (1e6 B/s); TPU v4 ICI: 50000
};

/// Throws ConfigError if the parameters cannot be used (bandwidth 0).
void ValidateLinkParams(const LinkParams& params);

/// Time to push `bytes` onto a link: ceil(bytes * 1e6 / bandwidth) ps, integer math, exact
/// for any bytes as long as bandwidth < 1.8e13 MB/s. bandwidth must be > 0.
Tick SerializationPs(std::uint64_t bytes, std::uint64_t bandwidth_mbytes_per_s);

/// One directed output link; owned by the rank that owns its source node.
struct LinkState {
  Tick free_at_ps = 0;          // tick at which the last queued packet's tail has left
  std::uint64_t bytes = 0;      // bytes sent so far
  std::uint64_t packets = 0;    // packets sent so far
  Tick busy_ps = 0;             // total serialization time so far (utilisation numerator)
  Tick max_queue_delay_ps = 0;  // largest wait of one packet between ready and departure
};

/// When a packet leaves a link and when its tail reaches the next router.
struct HopTiming {
  Tick depart_ps;  // head leaves the output port
  Tick arrive_ps;  // tail arrives at the next router
};

/// Output-queued, store-and-forward link: a packet ready at `ready_ps` leaves at
/// max(ready, free_at), occupies the link for its serialization time, and arrives at the next
/// router (tail) at depart + ser + wire. Updates the stats. Calls on one link must come in
/// non-decreasing ready_ps order for the queue to be FIFO.
HopTiming SendOnLink(LinkState& link, Tick ready_ps, std::uint64_t bytes,
                     const LinkParams& params);

/// Zero-load latency of a packet of `bytes` over `hops` hops, injected at a router and
/// delivered at the destination's local port: hops * (router + ser + wire) + router (the
/// ejection decision).
Tick ZeroLoadLatencyPs(std::uint32_t hops, std::uint64_t bytes, const LinkParams& params);

/// Smallest delay with which an event at one router can cause an event at a neighbour:
/// router + wire. This is the PDES lookahead for cross-rank links.
Tick MinHopDelayPs(const LinkParams& params);

}  // namespace moefab::fabric
