#include "runtime/pdes/engine.h"

namespace moefab::pdes {

std::vector<RankId> BlockOwners(uint32_t num_nodes, RankId ranks) {
  std::vector<RankId> owner(num_nodes);
  for (uint32_t n = 0; n < num_nodes; ++n)
    owner[n] = static_cast<RankId>(static_cast<uint64_t>(n) * ranks / num_nodes);
  return owner;
}

std::vector<RankId> RoundRobinOwners(uint32_t num_nodes, RankId ranks) {
  std::vector<RankId> owner(num_nodes);
  for (uint32_t n = 0; n < num_nodes; ++n) owner[n] = n % ranks;
  return owner;
}

}  // namespace moefab::pdes
