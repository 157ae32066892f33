#include "router/gate.h"

#include <limits>
#include <sstream>

#include "runtime/core/error.h"
#include "runtime/core/rng.h"

namespace moefab::router {

GateWeights MakeSyntheticGateWeights(std::uint32_t num_experts, std::uint32_t d_model,
                                     std::uint64_t seed) {
  if (num_experts == 0 || d_model == 0) {
    std::ostringstream os;
    os << "gate weights: num_experts=" << num_experts << " d_model=" << d_model
       << ": both must be >= 1";
    throw ConfigError(os.str());
  }
  GateWeights gate{num_experts, d_model, {}};
  const std::size_t n = std::size_t{num_experts} * d_model;
  gate.w.resize(n);
  SplitMix64 rng(seed);
  for (std::size_t i = 0; i < n; ++i) gate.w[i] = static_cast<std::int8_t>(rng.Uniform(-64, 63));
  return gate;
}

std::vector<std::int32_t> GateLogits(const GateWeights& gate, std::span<const std::int8_t> h) {
  MOEFAB_CHECK(h.size() == gate.d_model,
               "gate input has " << h.size() << " elements, d_model=" << gate.d_model);
  MOEFAB_CHECK(gate.w.size() == std::size_t{gate.num_experts} * gate.d_model,
               "gate weights have " << gate.w.size() << " elements, expected "
                                    << gate.num_experts << "x" << gate.d_model);
  std::vector<std::int32_t> logits(gate.num_experts);
  for (std::uint32_t e = 0; e < gate.num_experts; ++e) {
    const std::int8_t* row = gate.w.data() + std::size_t{e} * gate.d_model;
    std::int64_t acc = 0;
    for (std::uint32_t j = 0; j < gate.d_model; ++j) {
      acc += std::int64_t{row[j]} * std::int64_t{h[j]};
    }
    MOEFAB_CHECK(acc >= std::numeric_limits<std::int32_t>::min() &&
                     acc <= std::numeric_limits<std::int32_t>::max(),
                 "gate logit of expert " << e << " overflows int32: " << acc);
    logits[e] = static_cast<std::int32_t>(acc);
  }
  return logits;
}

}  // namespace moefab::router
