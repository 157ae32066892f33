// A one-rank Transport without MPI: collectives return their input. Used by tests that drive
// the engine and the cluster in one process.
#pragma once

#include "core/error.h"
#include "runtime/transport/transport.h"

namespace moefab {

class LoopbackTransport final : public Transport {
 public:
  [[nodiscard]] RankId rank() const override { return 0; }
  [[nodiscard]] RankId size() const override { return 1; }
  Tick AllreduceMin(Tick local) override { return local; }
  uint64_t AllreduceSum(uint64_t local) override { return local; }
  std::vector<Bytes> Exchange(const std::vector<Bytes>& outgoing) override {
    MOEFAB_CHECK(outgoing.size() == 1, "loopback exchange needs one buffer");
    return outgoing;
  }
  std::vector<Bytes> GatherToRoot(const Bytes& local) override { return {local}; }
  Bytes Broadcast(const Bytes& from_root) override { return from_root; }
  [[nodiscard]] const char* name() const override { return "loopback"; }
};

}  // namespace moefab
