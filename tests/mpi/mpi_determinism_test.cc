// Run under mpiexec at 1, 2 and 4 ranks. The core invariant: a run on N ranks, with any
// chip-to-rank mapping, gives the same simulated results as a run on one rank. The reference
// runs on rank 0 alone (loopback transport) inside the same job; the N-rank runs use
// MPI_COMM_WORLD with block and round-robin mappings, through MPI and the real engine.
#include <mpi.h>

#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "runtime/config/config_loader.h"
#include "runtime/logging.h"
#include "runtime/simulate.h"
#include "runtime/transport/loopback_transport.h"
#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/ucx_transport.h"

namespace moefab {
namespace {

int WorldRank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

std::string SimulatedJson(const RunOptions& o, const SimulationOutcome& out) {
  std::string s = ResultsJson(o, out);
  return s.substr(0, s.find("\"host\""));
}

// Runs `config` on one rank and on all ranks with each mapping, transport and synchronisation
// (windows over MPI, UCX and shared memory; the asynchronous protocol over shared memory);
// returns rank 0's verdict broadcast to all ranks (so every rank fails or passes together).
// `expect_early`: turns simulation.early_events on; on more than one rank, windows with the block
// mapping must then handle some events early (nodes far from every other rank's nodes run on
// while the exchange is in flight).
void ExpectRankInvariant(const std::string& config, Fidelity fidelity, uint32_t num_tokens = 0,
                         bool expect_early = false, const std::function<void(RunOptions&)>& edit = {}) {
  RunOptions o = LoadConfigFile(std::string(MOEFAB_SOURCE_DIR) + "/configs/" + config);
  o.fidelity = fidelity;
  if (num_tokens) o.workload.num_tokens = num_tokens;
  o.early_events = expect_early;
  if (edit) edit(o);
  std::string reference;
  if (WorldRank() == 0) {
    LoopbackTransport loop;
    const auto ref = Simulate(o, loop, Logger("runtime"));
    EXPECT_TRUE(ref.golden.match || !o.golden_check) << config;
    reference = SimulatedJson(o, ref);
  }
  struct Way {
    const char* transport;
    SyncMode sync;
  };
  for (const Way way : {Way{"mpi", SyncMode::kWindows}, Way{"ucx", SyncMode::kWindows}, Way{"shm", SyncMode::kWindows},
                        Way{"shm", SyncMode::kAsync}})
    for (RankMapping mapping : {RankMapping::kBlock, RankMapping::kRoundRobin}) {
      const char* kind = way.transport;
      o.rank_mapping = mapping;
      o.sync = way.sync;
      const auto world_ptr = MakeTransport(kind, MPI_COMM_WORLD);
      Transport& world = *world_ptr;
      const auto out = Simulate(o, world, Logger("runtime"));
      EXPECT_TRUE(out.golden.match || !o.golden_check) << config;
      EXPECT_EQ(out.golden.tokens_checked, o.golden_check ? o.workload.num_tokens : 0);
      int same = 1;
      if (WorldRank() == 0 && expect_early && world.size() > 1 && way.sync == SyncMode::kWindows &&
          mapping == RankMapping::kBlock) {
        uint64_t early = 0;
        for (const auto& r : out.host.per_rank) early += r.early_events;
        EXPECT_GT(early, 0u) << config << " transport " << kind << ": no event was handled early";
      }
      if (WorldRank() == 0) {
        const std::string got = SimulatedJson(o, out);
        same = got == reference;
        EXPECT_EQ(got, reference) << config << " transport " << kind
                                  << (way.sync == SyncMode::kAsync ? " async" : " windows") << " mapping "
                                  << (mapping == RankMapping::kBlock ? "block" : "round-robin") << " on "
                                  << world.size() << " ranks";
      }
      MPI_Bcast(&same, 1, MPI_INT, 0, MPI_COMM_WORLD);
      EXPECT_TRUE(same) << "rank 0 saw different results";
    }
}

TEST(MpiDeterminismTest, TinyRtl) {
  ExpectRankInvariant("tiny.textproto", Fidelity::kRtl);
}
TEST(MpiDeterminismTest, TinyAnalytic) {
  ExpectRankInvariant("tiny.textproto", Fidelity::kAnalytic);
}
TEST(MpiDeterminismTest, Cube8Rtl) {
  ExpectRankInvariant("cube8.textproto", Fidelity::kRtl);
}
TEST(MpiDeterminismTest, Ring5Rtl) {
  ExpectRankInvariant("ring5.textproto", Fidelity::kRtl);
}
// The credit-based fabric across ranks: OCS rewiring (controller messages cross ranks) and a
// twisted torus with split messages and small buffers (credits cross ranks).
TEST(MpiDeterminismTest, Ocs16Analytic) {
  ExpectRankInvariant("ocs16.textproto", Fidelity::kAnalytic);
}
TEST(MpiDeterminismTest, Twisted16Rtl) {
  ExpectRankInvariant("twisted16.textproto", Fidelity::kRtl);
}
// The RTL-heavy benchmark cube (RTL values computed behind the timing, in the background).
TEST(MpiDeterminismTest, BenchCube8Rtl) {
  ExpectRankInvariant("bench/cube8-rtl.textproto", Fidelity::kRtl, 24);
}
// The DeepSeek-V3 zoo model, timing-only: the fabric's horizon with dense cross-rank traffic.
TEST(MpiDeterminismTest, DeepSeekV3Analytic) {
  ExpectRankInvariant("models/deepseek-v3.textproto", Fidelity::kAnalytic, 8, /*expect_early=*/true);
}

// Continuous batching on the attention chips: batch checks are chip-local events.
TEST(MpiDeterminismTest, Cube8ContinuousBatching) {
  ExpectRankInvariant("cube8.textproto", Fidelity::kAnalytic, 0, /*expect_early=*/false, [](RunOptions& o) {
    o.workload.context_length = 512;
    for (auto& sku : o.skus) {
      sku.compute_tflops = 1;
      sku.memory_gbytes_per_s = 100;
      sku.batching = AttentionBatching::kContinuous;
      sku.max_batch_tokens = 4;
      sku.max_batch_wait_ps = 50000;
    }
  });
}

// HBM expert chips (weights in memory, batches per expert) beside the attention chips.
TEST(MpiDeterminismTest, GptOss20bHbmExperts) {
  ExpectRankInvariant("models/gpt-oss-20b.textproto", Fidelity::kAnalytic, 48, /*expect_early=*/false,
                      [](RunOptions& o) {
                        for (auto& sku : o.skus) {
                          if (sku.kind != ChipKind::kExpert) continue;
                          sku.memory_weights = true;
                          sku.compute_tflops = 1000;
                          sku.memory_gbytes_per_s = 3000;
                          sku.max_batch_tokens = 4;
                          sku.max_batch_wait_ps = 1000000;
                        }
                      });
}

}  // namespace
}  // namespace moefab
