#include "router/topk.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.h"

namespace moefab::router {

Selection SoftmaxTopKRenormalised(std::span<const std::int32_t> logits, std::uint32_t k, double logit_scale) {
  if (k == 0 || k > logits.size()) {
    std::ostringstream os;
    os << "top-k: k=" << k << " with " << logits.size() << " experts; expected 1 <= k <= num_experts";
    throw ConfigError(os.str());
  }
  if (!std::isfinite(logit_scale) || logit_scale < 0.0) {
    std::ostringstream os;
    os << "top-k: logit_scale=" << logit_scale << "; expected a finite value >= 0";
    throw ConfigError(os.str());
  }
  // Rank experts by (logit descending, id ascending); the first k are chosen, and rank[0] is
  // the one that absorbs the rounding remainder.
  std::vector<std::uint32_t> rank(logits.size());
  std::iota(rank.begin(), rank.end(), 0u);
  std::partial_sort(rank.begin(), rank.begin() + k, rank.end(), [&](std::uint32_t a, std::uint32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  rank.resize(k);
  const std::uint32_t top = rank[0];

  Selection sel;
  sel.experts = rank;
  std::sort(sel.experts.begin(), sel.experts.end());

  // Softmax over the chosen, shifted by the largest logit so every exponent is <= 0.
  const double max_scaled = static_cast<double>(logits[top]) * logit_scale;
  std::vector<double> p(k);
  double sum = 0.0;
  for (std::uint32_t i = 0; i < k; ++i) {
    p[i] = std::exp(static_cast<double>(logits[sel.experts[i]]) * logit_scale - max_scaled);
    sum += p[i];
  }
  sel.weights_q15.resize(k);
  std::int64_t total_q15 = 0;
  std::uint32_t top_index = 0;
  for (std::uint32_t i = 0; i < k; ++i) {
    const std::int64_t q = std::llround(p[i] / sum * kQ15One);
    sel.weights_q15[i] = static_cast<std::uint32_t>(q);
    total_q15 += q;
    if (sel.experts[i] == top) top_index = i;
  }
  // Each weight is off by <= 1/2, so |remainder| <= k/2, while the top weight is >= 32768/k:
  // for any k <= 256 the fixed-up weight stays in [0, 32768].
  const std::int64_t fixed = std::int64_t{sel.weights_q15[top_index]} + (kQ15One - total_q15);
  MOEFAB_CHECK(fixed >= 0 && fixed <= kQ15One, "top-k remainder broke weight " << fixed);
  sel.weights_q15[top_index] = static_cast<std::uint32_t>(fixed);
  return sel;
}

}  // namespace moefab::router
