#include "router/rules.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.h"

namespace moefab::router {

namespace {

// Indices of the k best scores (descending, ties -> lower index) among `candidates`.
std::vector<uint32_t> TopK(std::span<const double> score, std::vector<uint32_t> candidates, uint32_t k) {
  std::partial_sort(candidates.begin(), candidates.begin() + k, candidates.end(),
                    [&](uint32_t a, uint32_t b) { return score[a] != score[b] ? score[a] > score[b] : a < b; });
  candidates.resize(k);
  return candidates;
}

std::vector<uint32_t> All(size_t n) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

// Q1.15 weights from real weights. When `exact_total` is set, the rounding remainder goes to
// the expert ranked first so that the weights sum exactly to round(total * 32768).
Selection Quantise(const std::vector<uint32_t>& ranked, const std::vector<double>& w, bool exact_total) {
  Selection sel;
  std::vector<size_t> order(ranked.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranked[a] < ranked[b]; });
  double total = 0;
  int64_t sum_q = 0;
  std::vector<int64_t> q(ranked.size());
  for (size_t i = 0; i < ranked.size(); ++i) {
    q[i] = std::llround(w[i] * kQ15One);
    sum_q += q[i];
    total += w[i];
  }
  if (exact_total) {
    q[0] += std::llround(total * kQ15One) - sum_q;
    MOEFAB_CHECK(q[0] >= 0, "router weight remainder made a weight negative");
  }
  for (size_t i : order) {
    sel.experts.push_back(ranked[i]);
    sel.weights_q15.push_back(static_cast<uint32_t>(q[i]));
  }
  return sel;
}

double Sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

}  // namespace

const char* RuleName(Rule r) {
  switch (r) {
    case Rule::kSoftmaxTopKRenorm:
      return "SOFTMAX_TOPK_RENORM";
    case Rule::kSoftmaxTopK:
      return "SOFTMAX_TOPK";
    case Rule::kSigmoidGroupTopK:
      return "SIGMOID_GROUP_TOPK";
    case Rule::kTopKSoftmax:
      return "TOPK_SOFTMAX";
    case Rule::kTop1SigmoidInput:
      return "TOP1_SIGMOID_INPUT";
  }
  return "?";
}

void ValidateRouterParams(const RouterParams& p, uint32_t num_experts) {
  std::ostringstream os;
  if (p.top_k == 0 || p.top_k > num_experts)
    os << "top_k=" << p.top_k << ": expected 1 <= top_k <= num_experts (" << num_experts << ")";
  else if (p.rule == Rule::kTop1SigmoidInput && p.top_k != 1)
    os << "top_k=" << p.top_k << ": expected 1 for rule " << RuleName(p.rule);
  else if (p.rule == Rule::kSigmoidGroupTopK && (p.num_groups == 0 || num_experts % p.num_groups != 0))
    os << "num_groups=" << p.num_groups << ": expected a divisor of num_experts (" << num_experts << ")";
  else if (p.rule == Rule::kSigmoidGroupTopK && (p.topk_groups == 0 || p.topk_groups > p.num_groups ||
                                                 p.topk_groups * (num_experts / p.num_groups) < p.top_k))
    os << "topk_groups=" << p.topk_groups << ": expected 1..num_groups (" << p.num_groups
       << ") keeping at least top_k experts";
  else if (!p.selection_bias.empty() && p.selection_bias.size() != num_experts)
    os << "selection_bias has " << p.selection_bias.size() << " entries: expected " << num_experts;
  else if (!(p.routed_scaling > 0) || !std::isfinite(p.routed_scaling))
    os << "routed_scaling=" << p.routed_scaling << ": expected a finite value > 0";
  if (!os.str().empty()) throw ConfigError("router: " + os.str());
}

Routing Route(std::span<const double> logits, const RouterParams& p) {
  const auto n = static_cast<uint32_t>(logits.size());
  MOEFAB_CHECK(p.top_k >= 1 && p.top_k <= n, "router: top_k " << p.top_k << " of " << n);
  Routing out;
  switch (p.rule) {
    case Rule::kSoftmaxTopKRenorm:
    case Rule::kSoftmaxTopK: {
      const auto ranked = TopK(logits, All(n), p.top_k);
      const double max = logits[ranked[0]];
      double all = 0;
      for (double l : logits) all += std::exp(l - max);
      double chosen = 0;
      std::vector<double> w;
      for (uint32_t e : ranked) {
        w.push_back(std::exp(logits[e] - max));
        chosen += w.back();
      }
      const bool renorm = p.rule == Rule::kSoftmaxTopKRenorm;
      for (double& v : w) v = v / (renorm ? chosen : all) * p.routed_scaling;
      out.selection = Quantise(ranked, w, renorm);
      break;
    }
    case Rule::kTopKSoftmax: {
      const auto ranked = TopK(logits, All(n), p.top_k);
      const double max = logits[ranked[0]];
      std::vector<double> w;
      double sum = 0;
      for (uint32_t e : ranked) {
        w.push_back(std::exp(logits[e] - max));
        sum += w.back();
      }
      for (double& v : w) v = v / sum * p.routed_scaling;
      out.selection = Quantise(ranked, w, true);
      break;
    }
    case Rule::kSigmoidGroupTopK: {
      std::vector<double> s(n), biased(n);
      for (uint32_t e = 0; e < n; ++e) {
        s[e] = Sigmoid(logits[e]);
        biased[e] = s[e] + (p.selection_bias.empty() ? 0.0 : p.selection_bias[e]);
      }
      // Group score: the sum of the two best biased scores in the group (one if a group has
      // a single expert); keep the best topk_groups groups.
      const uint32_t per_group = n / p.num_groups;
      std::vector<double> group_score(p.num_groups);
      for (uint32_t g = 0; g < p.num_groups; ++g) {
        std::vector<uint32_t> members(per_group);
        std::iota(members.begin(), members.end(), g * per_group);
        const auto best = TopK(biased, members, std::min<uint32_t>(2, per_group));
        for (uint32_t e : best) group_score[g] += biased[e];
      }
      const auto groups = TopK(group_score, All(p.num_groups), p.topk_groups);
      std::vector<uint32_t> candidates;
      for (uint32_t g : groups)
        for (uint32_t e = g * per_group; e < (g + 1) * per_group; ++e) candidates.push_back(e);
      const auto ranked = TopK(biased, candidates, p.top_k);
      std::vector<double> w;
      double sum = 0;
      for (uint32_t e : ranked) {
        w.push_back(s[e]);
        sum += s[e];
      }
      for (double& v : w) v = v / sum * p.routed_scaling;
      out.selection = Quantise(ranked, w, true);
      break;
    }
    case Rule::kTop1SigmoidInput: {
      const auto ranked = TopK(logits, All(n), 1);
      out.selection = Quantise(ranked, {Sigmoid(logits[ranked[0]]) * p.routed_scaling}, false);
      out.weight_on_input = true;
      break;
    }
  }
  return out;
}

}  // namespace moefab::router
