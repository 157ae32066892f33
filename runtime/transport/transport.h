// Cross-rank transport: the only way ranks talk. The engine uses it once per window to agree
// on the next event time and to swap the events that crossed ranks (ExchangeAndMin: one round
// where the transport can); the results code uses it to gather statistics on rank 0. MPI is
// the default implementation; UCX (UCP point to point) the other.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/byte_io.h"
#include "core/types.h"

namespace moefab {

class Transport {
 public:
  virtual ~Transport() = default;
  [[nodiscard]] virtual RankId rank() const = 0;
  [[nodiscard]] virtual RankId size() const = 0;
  /// Global minimum over all ranks (collective).
  virtual Tick AllreduceMin(Tick local) = 0;
  /// Global maximum over all ranks (collective).
  Tick AllreduceMax(Tick local) { return kTickMax - AllreduceMin(kTickMax - local); }
  /// Global sum over all ranks (collective).
  virtual uint64_t AllreduceSum(uint64_t local) = 0;
  /// outgoing[r] is sent to rank r; returns incoming[r] received from rank r (collective).
  virtual std::vector<Bytes> Exchange(const std::vector<Bytes>& outgoing) = 0;
  /// Exchange plus the global minimum of `local_min` (collective). Default: each buffer
  /// carries the sender's minimum in an 8-byte header (one Exchange, no separate allreduce).
  virtual std::vector<Bytes> ExchangeAndMin(const std::vector<Bytes>& outgoing, Tick local_min,
                                            Tick& global_min) {
    std::vector<Bytes> framed(outgoing.size());
    for (size_t r = 0; r < outgoing.size(); ++r) {
      ByteWriter w(framed[r]);
      w.Put(local_min);
      framed[r].insert(framed[r].end(), outgoing[r].begin(), outgoing[r].end());
    }
    std::vector<Bytes> incoming = Exchange(framed);
    global_min = local_min;
    for (auto& b : incoming) {
      if (b.empty()) continue;  // own slot (transports may leave it empty)
      ByteReader r(b);
      global_min = std::min(global_min, r.Get<Tick>());
      b.erase(b.begin(), b.begin() + sizeof(Tick));
    }
    return incoming;
  }
  /// Rank 0 receives every rank's buffer in rank order; other ranks get an empty vector.
  virtual std::vector<Bytes> GatherToRoot(const Bytes& local) = 0;
  /// Rank 0's buffer is copied to all ranks (collective).
  virtual Bytes Broadcast(const Bytes& from_root) = 0;
};

}  // namespace moefab
