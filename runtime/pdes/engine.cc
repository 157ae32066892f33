#include "runtime/pdes/engine_detail.h"

namespace moefab::pdes::detail {

double CycleTally::Seconds(uint64_t cycles, double wall_seconds) const {
  const uint64_t total = Cycles() - start;
  return total ? wall_seconds * static_cast<double>(cycles) / static_cast<double>(total) : 0.0;
}

}  // namespace moefab::pdes::detail
