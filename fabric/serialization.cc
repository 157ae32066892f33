#include "fabric/serialization.h"

#include "core/error.h"

namespace moefab::fabric {
namespace {

constexpr std::uint64_t kPsPerUsTimesMb = 1000000;  // ps per byte at 1 MB/s

}  // namespace

Tick SerializationPs(std::uint64_t bytes, std::uint64_t bandwidth_mbytes_per_s) {
  MOEFAB_CHECK(bandwidth_mbytes_per_s > 0, "link bandwidth is 0");
  // Split bytes = q * bw + r so that only r (< bw) is multiplied by 1e6: no overflow.
  const std::uint64_t q = bytes / bandwidth_mbytes_per_s;
  const std::uint64_t r = bytes % bandwidth_mbytes_per_s;
  return q * kPsPerUsTimesMb + (r * kPsPerUsTimesMb + bandwidth_mbytes_per_s - 1) / bandwidth_mbytes_per_s;
}

}  // namespace moefab::fabric
