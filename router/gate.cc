#include "router/gate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "core/rng.h"

namespace moefab::router {

GateWeights MakeSyntheticGateWeights(std::uint32_t num_experts, std::uint32_t d_model, std::uint64_t seed) {
  if (num_experts == 0 || d_model == 0) {
    std::ostringstream os;
    os << "gate weights: num_experts=" << num_experts << " d_model=" << d_model << ": both must be >= 1";
    throw ConfigError(os.str());
  }
  GateWeights gate;
  gate.num_experts = num_experts;
  gate.d_model = d_model;
  const std::size_t n = std::size_t{num_experts} * d_model;
  gate.w.resize(n);
  SplitMix64 rng(seed);
  for (std::size_t i = 0; i < n; ++i) gate.w[i] = static_cast<std::int8_t>(rng.Uniform(-64, 63));
  return gate;
}

std::vector<std::int32_t> GateLogits(const GateWeights& gate, std::span<const std::int8_t> h) {
  MOEFAB_CHECK(h.size() == gate.d_model, "gate input has " << h.size() << " elements, d_model=" << gate.d_model);
  MOEFAB_CHECK(
      gate.w.size() == std::size_t{gate.num_experts} * gate.d_model,
      "gate weights have " << gate.w.size() << " elements, expected " << gate.num_experts << "x" << gate.d_model);
  std::vector<std::int32_t> logits(gate.num_experts);
  for (std::uint32_t e = 0; e < gate.num_experts; ++e) {
    const std::int8_t* row = gate.w.data() + std::size_t{e} * gate.d_model;
    std::int64_t acc = 0;
    for (std::uint32_t j = 0; j < gate.d_model; ++j) {
      acc += std::int64_t{row[j]} * std::int64_t{h[j]};
    }
    MOEFAB_CHECK(acc >= std::numeric_limits<std::int32_t>::min() && acc <= std::numeric_limits<std::int32_t>::max(),
                 "gate logit of expert " << e << " overflows int32: " << acc);
    logits[e] = static_cast<std::int32_t>(acc);
  }
  return logits;
}

std::vector<double> RealLogits(const GateWeights& gate, std::span<const std::int8_t> x, std::uint8_t exponent) {
  const auto acc = GateLogits(gate, x);
  const double scale = std::ldexp(gate.scale, exponent);
  std::vector<double> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i)
    out[i] = static_cast<double>(acc[i]) * scale + (gate.bias.empty() ? 0.0 : gate.bias[i]);
  return out;
}

GateWeights QuantizeGate(std::span<const float> w, std::uint32_t num_experts, std::uint32_t d_model,
                         double activation_scale, std::vector<double> bias) {
  if (w.size() != static_cast<size_t>(num_experts) * d_model || num_experts == 0 ||
      (!bias.empty() && bias.size() != num_experts)) {
    std::ostringstream os;
    os << "gate weights: " << w.size() << " values and " << bias.size() << " biases; expected " << num_experts << " x "
       << d_model << " and 0 or " << num_experts;
    throw ConfigError(os.str());
  }
  const auto finite = [](const auto& values, const char* what) {
    for (size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i])) {
        std::ostringstream os;
        os << "gate " << what << ": element " << i << "=" << values[i] << ": expected finite values";
        throw ConfigError(os.str());
      }
  };
  finite(w, "weights");
  finite(bias, "bias");
  double max = 0;
  for (float v : w) max = std::max(max, std::fabs(static_cast<double>(v)));
  const double wscale = max > 0 ? max / 127.0 : 1.0;
  GateWeights g;
  g.num_experts = num_experts;
  g.d_model = d_model;
  g.w.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i)
    g.w[i] = static_cast<std::int8_t>(std::clamp<long>(std::lround(w[i] / wscale), -127, 127));
  g.scale = wscale * activation_scale;
  g.bias = std::move(bias);
  return g;
}

}  // namespace moefab::router
