#include "fabric/link.h"

#include <algorithm>

#include "core/error.h"

namespace moefab::fabric {
namespace {

constexpr std::uint64_t kPsPerUsTimesMb = 1000000;  // ps per byte at 1 MB/s

}  // namespace

void ValidateLinkParams(const LinkParams& params) {
  if (params.bandwidth_mbytes_per_s == 0) {
    throw ConfigError("link bandwidth_mbytes_per_s=0: expected > 0 (TPU v4 ICI: 50000)");
  }
}

Tick SerializationPs(std::uint64_t bytes, std::uint64_t bandwidth_mbytes_per_s) {
  MOEFAB_CHECK(bandwidth_mbytes_per_s > 0, "link bandwidth is 0");
  // Split bytes = q * bw + r so that only r (< bw) is multiplied by 1e6: no overflow.
  const std::uint64_t q = bytes / bandwidth_mbytes_per_s;
  const std::uint64_t r = bytes % bandwidth_mbytes_per_s;
  return q * kPsPerUsTimesMb +
         (r * kPsPerUsTimesMb + bandwidth_mbytes_per_s - 1) / bandwidth_mbytes_per_s;
}

HopTiming SendOnLink(LinkState& link, Tick ready_ps, std::uint64_t bytes,
                     const LinkParams& params) {
  const Tick depart_ps = std::max(ready_ps, link.free_at_ps);
  const Tick ser_ps = SerializationPs(bytes, params.bandwidth_mbytes_per_s);
  link.free_at_ps = depart_ps + ser_ps;
  link.bytes += bytes;
  link.packets += 1;
  link.busy_ps += ser_ps;
  link.max_queue_delay_ps = std::max(link.max_queue_delay_ps, depart_ps - ready_ps);
  return HopTiming{depart_ps, depart_ps + ser_ps + params.wire_latency_ps};
}

Tick ZeroLoadLatencyPs(std::uint32_t hops, std::uint64_t bytes, const LinkParams& params) {
  const Tick per_hop_ps = params.router_delay_ps +
                          SerializationPs(bytes, params.bandwidth_mbytes_per_s) +
                          params.wire_latency_ps;
  return hops * per_hop_ps + params.router_delay_ps;
}

Tick MinHopDelayPs(const LinkParams& params) {
  return params.router_delay_ps + params.wire_latency_ps;
}

}  // namespace moefab::fabric
