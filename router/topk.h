// Top-k expert selection with softmax weights, renormalised over the chosen experts (the
// Mixtral rule: softmax(top-k logits)), quantised to Q1.15.
//
// Models: deterministic top-k with a lower-id tie-break and a Q15 weight vector that sums to
// exactly 1.0 (32768), so combine is reproducible bit for bit. The softmax itself is computed
// in double with std::exp, so results are identical for one build of the simulator (the golden
// model and the cluster share this function) but could differ in the last ulp across libm
// versions. Omits: other router rules (DeepSeek's sigmoid + group-limited top-k, softmax before
// top-k without renormalisation, expert-choice), capacity factors and token dropping. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace moefab::router {

/// Q1.15 value of 1.0: the sum of every Selection's weights.
inline constexpr std::uint32_t kQ15One = 32768;

/// The experts one token is dispatched to.
struct Selection {
  std::vector<std::uint32_t> experts;      // expert ids, ascending, distinct; size k
  std::vector<std::uint32_t> weights_q15;  // gate weight of experts[i], Q1.15; sum == 32768

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(experts, weights_q15);
  }
};

/// Softmax top-k renormalised (Mixtral rule): choose the k largest logits (ties -> lower
/// expert id); weights = softmax over the chosen of logit * logit_scale, computed in double,
/// quantised to Q15 by round-to-nearest; any rounding remainder so the sum is exactly 32768
/// goes to the expert with the largest logit (lowest id on a tie). Throws ConfigError if
/// k == 0, k > number of experts, or logit_scale is negative or not finite.
Selection SoftmaxTopKRenormalised(std::span<const std::int32_t> logits, std::uint32_t k, double logit_scale);

}  // namespace moefab::router
