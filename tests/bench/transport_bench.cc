// transport_bench: cost of one Exchange round (every rank sends one buffer to every other rank
// and receives one from each) for the MPI transport (MPI_Alltoall of sizes + MPI_Alltoallv) and
// the UCX transport (tagged point-to-point sends, probe + receive), at 0 B, 64 B, 4 KiB,
// 64 KiB and 1 MiB per peer. Run under mpirun, e.g. on 2 ranks:
//   source scripts/mpi-env.sh && mpirun -np 2 build/tests/bench/transport_bench
// Rounds run back to back, as the engine's windows do; the time is rank 0's wall time per
// round (real time, microseconds). Iteration and repetition counts are fixed so that all ranks
// run the same number of rounds; only rank 0 reports. bytes_per_second counts the bytes one
// rank sends per second.
//
// BM_Window/{mpi,ucx,shm}: one window exchange of the engine (StartWindow, WaitWindow,
// FinishWindow with a summary) at 0 B and 256 B per peer: what every PDES window costs beside
// its events. shm is the shared-memory transport (all ranks on one host).
#include <mpi.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/shm_transport.h"
#include "runtime/transport/ucx_transport.h"

namespace moefab {
namespace {

std::unique_ptr<Transport> g_transports[3];  // "mpi", "ucx", "shm"; alive from MPI_Init to Finalize
const char* const kKinds[3] = {"mpi", "ucx", "shm"};

void BM_Exchange(benchmark::State& state, int kind) {
  Transport& t = *g_transports[kind];
  const auto bytes = static_cast<size_t>(state.range(0));
  std::vector<Bytes> out(t.size());
  for (RankId d = 0; d < t.size(); ++d) out[d].assign(d == t.rank() ? 0 : bytes, static_cast<std::byte>(d + 1));
  for (int i = 0; i < 10; ++i) benchmark::DoNotOptimize(t.Exchange(out));  // warm up
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state) {
    auto in = t.Exchange(out);
    benchmark::DoNotOptimize(in.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes * (t.size() - 1)));
  state.counters["ranks"] = t.size();
}

void BM_Window(benchmark::State& state, int kind) {
  Transport& t = *g_transports[kind];
  const auto bytes = static_cast<size_t>(state.range(0));
  std::vector<Bytes> out(t.size());
  std::vector<std::span<const std::byte>> in;
  WindowSummary mine;
  mine.next = 1000;
  const auto round = [&] {
    for (RankId d = 0; d < t.size(); ++d) out[d].assign(d == t.rank() ? 0 : bytes, static_cast<std::byte>(d + 1));
    t.StartWindow(out, mine);
    t.WaitWindow();
    benchmark::DoNotOptimize(t.FinishWindow(in));
  };
  for (int i = 0; i < 10; ++i) round();  // warm up
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state) round();
  state.counters["ranks"] = t.size();
}

// Discards everything: ranks other than 0 run the same benchmarks silently.
class NullReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace
}  // namespace moefab

void AbortAll() {
  MPI_Abort(MPI_COMM_WORLD, 1);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  moefab::CheckContext::Rank() = rank;
  moefab::SetCheckAbortHook(&AbortAll);
  // Only rank 0 may write --benchmark_out; the others drop it.
  std::vector<char*> args(argv, argv + argc);
  if (rank != 0) std::erase_if(args, [](char* a) { return std::strncmp(a, "--benchmark_out", 15) == 0; });
  int nargs = static_cast<int>(args.size());
  benchmark::Initialize(&nargs, args.data());

  for (int k = 0; k < 3; ++k) {
    moefab::g_transports[k] = k == 2 ? std::make_unique<moefab::ShmTransport>(MPI_COMM_WORLD)
                                     : moefab::MakeTransport(moefab::kKinds[k], MPI_COMM_WORLD);
    for (int64_t bytes : {0, 256})
      benchmark::RegisterBenchmark((std::string("BM_Window/") + moefab::kKinds[k]).c_str(), moefab::BM_Window, k)
          ->Arg(bytes)
          ->Iterations(100000)
          ->Repetitions(5)
          ->ReportAggregatesOnly(true)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    // Fixed rounds per size (the same on every rank): about 50 ms per repetition or more.
    const std::pair<int64_t, int64_t> sizes[] = {{0, 20000}, {64, 20000}, {4096, 10000}, {65536, 2000}, {1 << 20, 200}};
    for (auto [bytes, rounds] : sizes)
      benchmark::RegisterBenchmark((std::string("BM_Exchange/") + moefab::kKinds[k]).c_str(), moefab::BM_Exchange, k)
          ->Arg(bytes)
          ->Iterations(rounds)
          ->Repetitions(5)
          ->ReportAggregatesOnly(true)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
  }
  if (rank == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    moefab::NullReporter null;
    benchmark::RunSpecifiedBenchmarks(&null);
  }
  benchmark::Shutdown();
  for (auto& t : moefab::g_transports) t.reset();  // UCX shutdown is collective, before Finalize
  MPI_Finalize();
  return 0;
}
