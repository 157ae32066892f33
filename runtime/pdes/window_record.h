// The critical path of a run in global windows: per window, the work of the busiest rank.
// Every rank waits for the slowest one at the end of each window, so the sum over windows of
// the largest work is the least time the windows' work can take on these ranks, however cheap
// the exchange; what a rank waits beyond the exchange is the imbalance within windows. The sum
// of every rank's work over that critical path is the parallelism the windows leave (at most
// the rank count). Memory stays bounded: past 2^22 records (16 MiB), neighbouring windows are
// merged in pairs (on every rank at the same window: every rank runs every window), which can
// only lower the critical path (the bound stays a bound, less tight).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "runtime/transport/transport.h"

namespace moefab::pdes {

class WindowWorkRecord {
 public:
  /// `max_records`: merge neighbours in pairs beyond this many records (even, >= 2).
  explicit WindowWorkRecord(size_t max_records = kMaxBuckets) : max_(max_records) {
    MOEFAB_CHECK(max_ >= 2 && max_ % 2 == 0, "window records: " << max_ << " is not an even count >= 2");
  }

  /// One window's work on this rank (cycles).
  void Add(uint64_t cycles) {
    if (in_last_ == merge_) {
      if (buckets_.size() == max_) {
        for (size_t i = 0; i < max_ / 2; ++i) buckets_[i] = buckets_[2 * i] + buckets_[2 * i + 1];
        buckets_.resize(max_ / 2);
        merge_ *= 2;
      }
      buckets_.push_back(0);
      in_last_ = 0;
    }
    buckets_.back() += static_cast<float>(cycles);
    ++in_last_;
  }

  struct CriticalPath {
    double critical_cycles = 0;  // sum over windows of the largest work of any rank
    double total_cycles = 0;     // sum of every rank's work in windows
    uint64_t windows_per_record = 1;
  };
  /// Collective (every rank, same number of windows). Rank 0 gets the figures, the others zeros.
  CriticalPath Reduce(Transport& t) const {
    CriticalPath out;
    out.windows_per_record = merge_;
    for (size_t at = 0;; at += kChunk) {
      // Every rank has as many records: the chunks agree, and the last one may be empty.
      const size_t n = at < buckets_.size() ? std::min(kChunk, buckets_.size() - at) : 0;
      Bytes mine(n * sizeof(float));
      if (n) std::memcpy(mine.data(), buckets_.data() + at, mine.size());
      const std::vector<Bytes> all = t.GatherToRoot(mine);
      if (t.rank() == 0) {
        std::vector<float> largest(n, 0.0f);
        for (const Bytes& part : all) {
          MOEFAB_CHECK(part.size() == mine.size(), "ranks ran different numbers of windows");
          for (size_t i = 0; i < n; ++i) {
            float v;
            std::memcpy(&v, part.data() + i * sizeof(float), sizeof(float));
            largest[i] = std::max(largest[i], v);
            out.total_cycles += v;
          }
        }
        for (float v : largest) out.critical_cycles += v;
      }
      if (at + kChunk >= buckets_.size()) break;
    }
    if (t.rank() != 0) out = CriticalPath{};
    return out;
  }

 private:
  static constexpr size_t kMaxBuckets = size_t{1} << 22;  // 16 MiB of records
  static constexpr size_t kChunk = size_t{1} << 16;       // records gathered at once
  size_t max_;
  std::vector<float> buckets_;
  uint64_t merge_ = 1;    // windows per record
  uint64_t in_last_ = 1;  // windows in the last record (== merge_: start a new one)
};

}  // namespace moefab::pdes
