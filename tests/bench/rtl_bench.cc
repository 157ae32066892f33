// Simulation speed of the Verilated expert_engine builds (chips/rtl/expert_engine.sv) against
// the fast golden datapath on the same shape and format. Jobs run back to back through the
// engine's two-stage pipeline (steady state: both stages busy), so a job costs II cycles.
// Counters: MAC/s = 3 * D * I MACs per job over wall time; cycles/s = RTL cycles evaluated per
// wall second; golden_MAC/s = GoldenExpert(PreparedExpert) on the same weights; ratio =
// golden_MAC/s / MAC/s (how many times slower the RTL is), all on this thread's CPU time. Run:
//   build/tests/bench/rtl_bench --benchmark_counters_tabular=true
// Builds come from MOEFAB_RTL_BUILDS + MOEFAB_RTL_BENCH_BUILDS (MOEFAB_BUILD_BENCHMARKS=ON).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chips/expert_engine.h"
#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "core/rng.h"

namespace moefab::chips {
namespace {

// This thread's CPU seconds: ratios are taken on CPU time so that other load on the machine
// does not skew them.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

constexpr int kJobsPerIteration = 4;

std::shared_ptr<const ExpertWeights> Weights(const EngineConfig& c) {
  static std::map<std::string, std::shared_ptr<const ExpertWeights>> cache;
  const std::string key = std::to_string(c.shape.d_model) + "x" + std::to_string(c.shape.width) + FormatTag(c.format);
  auto& w = cache[key];
  if (!w) {
    w = std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights(c.shape, c.format, Activation::kSwiGlu, 7));
  }
  return w;
}

std::vector<std::int8_t> Input(std::uint32_t d, std::uint64_t seed) {
  std::vector<std::int8_t> x(d);
  SplitMix64 rng(seed);
  for (auto& v : x) v = static_cast<std::int8_t>(rng.Uniform(-60, 60));
  return x;
}

// Golden MAC/s on the same weights (measured once per shape and format, >= 0.3 s).
double GoldenMacsPerSecond(const EngineConfig& c) {
  static std::map<std::string, double> cache;
  const std::string key = std::to_string(c.shape.d_model) + "x" + std::to_string(c.shape.width) + FormatTag(c.format);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const auto prepared = PrepareGolden(*Weights(c));
  const std::vector<std::int8_t> x = Input(c.shape.d_model, 1);
  std::vector<std::int16_t> y(c.shape.d_model);
  const double t0 = CpuSeconds();
  std::uint64_t calls = 0;
  double secs = 0;
  do {
    for (int k = 0; k < 16; ++k) GoldenExpert(*prepared, x, 3, y);
    calls += 16;
    secs = CpuSeconds() - t0;
  } while (secs < 0.3);
  benchmark::DoNotOptimize(y.data());
  const double rate = 3.0 * c.shape.d_model * c.shape.width * static_cast<double>(calls) / secs;
  cache.emplace(key, rate);
  return rate;
}

void BM_Rtl(benchmark::State& state, EngineConfig c) {
  auto engine = MakeRtlExpertEngine(Weights(c), c);
  const std::vector<std::int8_t> x = Input(c.shape.d_model, 2);
  std::vector<CompletedJob> done;
  std::uint64_t id = 0;
  // Warm up: fill the pipeline so that iterations measure the steady state.
  engine->Submit(id++, x, 3, engine->now_cycle());
  const std::uint64_t cycles0 = engine->rtl_cycles_simulated();
  std::uint64_t jobs = 0;
  const double t0 = CpuSeconds();
  for (auto _ : state) {
    for (int k = 0; k < kJobsPerIteration; ++k) engine->Submit(id++, x, 3, engine->now_cycle());
    const std::size_t want = done.size() + kJobsPerIteration;
    while (done.size() < want) engine->AdvanceTo(engine->now_cycle() + 256, done);
    jobs += kJobsPerIteration;
    if (done.size() > 64) done.clear();
  }
  const double secs = CpuSeconds() - t0;
  const double macs = 3.0 * c.shape.d_model * c.shape.width * static_cast<double>(jobs);
  const double cycles = static_cast<double>(engine->rtl_cycles_simulated() - cycles0);
  state.counters["MAC/s"] = benchmark::Counter(macs, benchmark::Counter::kIsRate);
  state.counters["cycles/s"] = benchmark::Counter(cycles, benchmark::Counter::kIsRate);
  const double golden = GoldenMacsPerSecond(c);
  state.counters["golden_MAC/s"] = golden;
  state.counters["ratio"] = golden / (macs / secs);
  state.counters["lanes"] = c.lanes;
}

}  // namespace
}  // namespace moefab::chips

int main(int argc, char** argv) {
  using moefab::chips::EngineConfig;
  for (const EngineConfig& c : moefab::chips::AvailableRtlBuilds()) {
    benchmark::RegisterBenchmark(("rtl/" + c.ToString()).c_str(), moefab::chips::BM_Rtl, c)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(1.0);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
