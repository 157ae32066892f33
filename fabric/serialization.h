// Serialization time of bytes pushed onto a link of a given bandwidth, in whole picoseconds.
//
// Models: one directed link's bandwidth (MB/s, 1 MB = 1e6 B) and the time the last byte leaves,
// rounded up to the next ps. Used by Network (flits and packets on every hop), the zero-load
// closed forms, the traffic driver's cycle and the expert chip's egress port.
// Omits: encoding overhead, link-level framing and retries (headers are counted by the caller).
#pragma once

#include <cstdint>

#include "core/types.h"

namespace moefab::fabric {

/// Time to push `bytes` onto a link: ceil(bytes * 1e6 / bandwidth) ps, integer math, exact
/// for any bytes as long as bandwidth < 1.8e13 MB/s. bandwidth must be > 0.
Tick SerializationPs(std::uint64_t bytes, std::uint64_t bandwidth_mbytes_per_s);

}  // namespace moefab::fabric
