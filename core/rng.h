// Deterministic pseudo-random numbers for synthetic weights and inputs. SplitMix64: the same
// seed gives the same stream on every machine, rank count and build.
#pragma once

#include <cstdint>

namespace moefab {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform integer in [lo, hi] (inclusive). Slight modulo bias is irrelevant here.
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  /// Uniform double in [0, 1).
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;  // current state
};

/// Mix several integers into one seed (for per-(layer, expert, matrix) streams).
inline std::uint64_t MixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0, std::uint64_t d = 0) {
  SplitMix64 r(a ^ 0x6A09E667F3BCC909ULL);
  std::uint64_t s = r.Next() ^ b;
  SplitMix64 r2(s);
  s = r2.Next() ^ c;
  SplitMix64 r3(s);
  s = r3.Next() ^ d;
  SplitMix64 r4(s);
  return r4.Next();
}

}  // namespace moefab
