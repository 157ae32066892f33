// A log-linear histogram of non-negative integers (latencies in ps): exact below 16, then 16
// sub-buckets per power of two (relative bucket width <= 1/16). Counts are integers, so
// histograms of different ranks merge exactly (element-wise sums) in any order.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace moefab {

class LogHistogram {
 public:
  static constexpr uint32_t kSubBits = 4;  // 16 sub-buckets per octave

  static uint32_t BucketOf(uint64_t v) {
    if (v < (1u << kSubBits)) return static_cast<uint32_t>(v);
    const auto width = static_cast<uint32_t>(std::bit_width(v));  // >= kSubBits + 1
    const uint32_t shift = width - 1 - kSubBits;
    const auto sub = static_cast<uint32_t>((v >> shift) & ((1u << kSubBits) - 1));
    return ((shift + 1) << kSubBits) + sub;
  }
  /// Largest value that falls into bucket `b`.
  static uint64_t UpperOf(uint32_t b) {
    if (b < (1u << kSubBits)) return b;
    const uint32_t shift = (b >> kSubBits) - 1;
    const uint64_t sub = b & ((1u << kSubBits) - 1);
    return (((uint64_t{1} << kSubBits) | sub) << shift) + ((uint64_t{1} << shift) - 1);
  }

  void Add(uint64_t v) {
    const uint32_t b = BucketOf(v);
    if (counts.size() <= b) counts.resize(b + 1, 0);
    ++counts[b];
  }
  void Merge(const std::vector<uint64_t>& other) {
    if (counts.size() < other.size()) counts.resize(other.size(), 0);
    for (size_t i = 0; i < other.size(); ++i) counts[i] += other[i];
  }
  [[nodiscard]] uint64_t Count() const {
    uint64_t n = 0;
    for (auto c : counts) n += c;
    return n;
  }
  /// Upper bound of the bucket holding the q-quantile (q in [0, 1]); 0 when empty.
  [[nodiscard]] uint64_t Quantile(double q) const {
    const uint64_t n = Count();
    if (n == 0) return 0;
    const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(n) + 0.999999));
    uint64_t seen = 0;
    for (uint32_t b = 0; b < counts.size(); ++b) {
      seen += counts[b];
      if (seen >= rank) return UpperOf(b);
    }
    return UpperOf(static_cast<uint32_t>(counts.size() - 1));
  }

  std::vector<uint64_t> counts;  // per bucket

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(counts);
  }
};

}  // namespace moefab
