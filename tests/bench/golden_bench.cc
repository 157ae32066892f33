// Throughput of the fast golden expert datapath (what SAMPLED fidelity runs for every job)
// against a plain int8 x int8 -> int32 GEMV written with the same AVX2 effort (8-row groups
// interleaved in memory, maddubs on |x| and sign(w, x), one reduction per row), in MAC/s.
// An expert call counts 3 * d_model * width MACs. Run:
//   build/tests/bench/golden_bench --benchmark_counters_tabular=true
// Results depend on the machine and on whether the weights fit the last-level cache.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <vector>

#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "core/rng.h"

namespace moefab::chips {
namespace {

// Weights [rows / 8][cols / 32][8 rows][32 bytes] in [-127, 127]; rows % 8 == 0, cols % 32 == 0.
struct Int8Matrix {
  std::uint32_t rows = 0;      // output channels
  std::uint32_t cols = 0;      // inputs
  std::vector<std::int8_t> w;  // grouped layout above
};

Int8Matrix MakeInt8Matrix(std::uint32_t rows, std::uint32_t cols, std::uint64_t seed) {
  Int8Matrix m{rows, cols, std::vector<std::int8_t>(std::size_t{rows} * cols)};
  SplitMix64 rng(seed);
  for (auto& v : m.w) v = static_cast<std::int8_t>(rng.Uniform(-127, 127));
  return m;
}

__attribute__((target("avx2"))) void Int8GemvAvx2(const Int8Matrix& m, const std::int8_t* x, std::uint8_t* ax_buf,
                                                  std::int32_t* y) {
  const std::uint32_t blocks = m.cols / 32;
  for (std::uint32_t b = 0; b < blocks; ++b) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + b * 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(ax_buf + b * 32), _mm256_abs_epi8(v));
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (std::uint32_t g = 0; g < m.rows / 8; ++g) {
    const std::int8_t* gw = m.w.data() + std::size_t{g} * 8 * m.cols;
    __m256i a[8];
    for (auto& v : a) v = _mm256_setzero_si256();
    for (std::uint32_t b = 0; b < blocks; ++b) {
      const __m256i ax = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ax_buf + b * 32));
      const __m256i sx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + b * 32));
      const __m256i* blk = reinterpret_cast<const __m256i*>(gw + std::size_t{b} * 256);
      for (int i = 0; i < 8; ++i) {
        const __m256i w = _mm256_loadu_si256(blk + i);
        a[i] = _mm256_add_epi32(a[i], _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, sx)), ones));
      }
    }
    const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
    const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(a[4], a[5]), _mm256_hadd_epi32(a[6], a[7]));
    const __m256i s =
        _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + g * 8), s);
  }
}

// The same GEMV as a plain loop over row-major weights (what -O3 makes of it).
void Int8GemvLoop(const std::vector<std::int8_t>& w, std::uint32_t rows, std::uint32_t cols, const std::int8_t* x,
                  std::int32_t* y) {
  for (std::uint32_t r = 0; r < rows; ++r) {
    const std::int8_t* wr = w.data() + std::size_t{r} * cols;
    std::int32_t s = 0;
    for (std::uint32_t c = 0; c < cols; ++c) s += wr[c] * x[c];
    y[r] = s;
  }
}

std::vector<std::int8_t> RandomX(std::uint32_t n) {
  std::vector<std::int8_t> x(n);
  SplitMix64 rng(7);
  for (auto& v : x) v = static_cast<std::int8_t>(rng.Uniform(-100, 100));
  return x;
}

// One GEMV of d x d (args: d).
void BM_Int8Gemv(benchmark::State& state) {
  const auto d = static_cast<std::uint32_t>(state.range(0));
  const Int8Matrix m = MakeInt8Matrix(d, d, 1);
  const auto x = RandomX(d);
  std::vector<std::uint8_t> ax(d);
  std::vector<std::int32_t> y(d);
  for (auto _ : state) {
    Int8GemvAvx2(m, x.data(), ax.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["MAC/s"] = benchmark::Counter(double(d) * d, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["weight_MB"] = double(d) * d / 1e6;
}

// Three int8 GEMVs of an expert's shapes (gate, up: I x D; down: D x I), own weights each: the
// int8 baseline with the expert's memory footprint. Args: d_model, width.
void BM_Int8Expert3Gemv(benchmark::State& state) {
  const auto d = static_cast<std::uint32_t>(state.range(0));
  const auto w = static_cast<std::uint32_t>(state.range(1));
  const Int8Matrix g = MakeInt8Matrix(w, d, 1), u = MakeInt8Matrix(w, d, 2), dn = MakeInt8Matrix(d, w, 3);
  const auto x = RandomX(d);
  const auto m = RandomX(w);
  std::vector<std::uint8_t> ax(std::max(d, w));
  std::vector<std::int32_t> y1(w), y2(w), y3(d);
  for (auto _ : state) {
    Int8GemvAvx2(g, x.data(), ax.data(), y1.data());
    Int8GemvAvx2(u, x.data(), ax.data(), y2.data());
    Int8GemvAvx2(dn, m.data(), ax.data(), y3.data());
    benchmark::DoNotOptimize(y3.data());
    benchmark::ClobberMemory();
  }
  state.counters["MAC/s"] = benchmark::Counter(3.0 * d * w, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["weight_MB"] = 3.0 * d * w / 1e6;
}

void BM_Int8GemvPlainLoop(benchmark::State& state) {
  const auto d = static_cast<std::uint32_t>(state.range(0));
  const Int8Matrix m = MakeInt8Matrix(d, d, 1);
  const auto x = RandomX(d);
  std::vector<std::int32_t> y(d);
  for (auto _ : state) {
    Int8GemvLoop(m.w, d, d, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["MAC/s"] = benchmark::Counter(double(d) * d, benchmark::Counter::kIsIterationInvariantRate);
}

// GoldenExpert on a prepared synthetic expert. Args: format, d_model, width, kernel.
void BM_GoldenExpert(benchmark::State& state) {
  const auto format = static_cast<WeightFormat>(state.range(0));
  const ExpertShape shape{static_cast<std::uint32_t>(state.range(1)), static_cast<std::uint32_t>(state.range(2))};
  const auto kernel = static_cast<GoldenKernel>(state.range(3));
  if (!GoldenKernelAvailable(kernel)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const ExpertWeights w = MakeSyntheticExpertWeights(shape, format, Activation::kSwiGlu, 11);
  const auto p = PrepareGolden(w, kernel);
  std::vector<std::int16_t> h(shape.d_model), y(shape.d_model);
  std::vector<std::int8_t> x(shape.d_model);
  MakeRandomHidden(3, h);
  const std::uint8_t e = DispatchExponent(h);
  QuantizeForDispatch(h, e, x);
  for (auto _ : state) {
    GoldenExpert(*p, x, e, y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(WeightFormatName(format)) + (p->kernel() == GoldenKernel::kAvx2 ? " avx2" : " portable"));
  state.counters["MAC/s"] =
      benchmark::Counter(3.0 * shape.d_model * shape.width, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["weight_MB"] = static_cast<double>(p->weight_bytes()) / 1e6;
}

void BM_GoldenExpertScalar(benchmark::State& state) {
  const auto format = static_cast<WeightFormat>(state.range(0));
  const ExpertShape shape{static_cast<std::uint32_t>(state.range(1)), static_cast<std::uint32_t>(state.range(2))};
  const ExpertWeights w = MakeSyntheticExpertWeights(shape, format, Activation::kSwiGlu, 11);
  std::vector<std::int16_t> y(shape.d_model);
  const auto x = RandomX(shape.d_model);
  for (auto _ : state) {
    GoldenExpertScalar(w, x, 3, y);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(WeightFormatName(format));
  state.counters["MAC/s"] =
      benchmark::Counter(3.0 * shape.d_model * shape.width, benchmark::Counter::kIsIterationInvariantRate);
}

constexpr int kAvx2 = static_cast<int>(GoldenKernel::kAvx2);
constexpr int kPortable = static_cast<int>(GoldenKernel::kPortable);

BENCHMARK(BM_Int8Gemv)->Arg(2880)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Int8Expert3Gemv)->Args({2880, 2880})->Args({64, 128})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Int8GemvPlainLoop)->Arg(2880)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GoldenExpert)
    ->ArgNames({"fmt", "D", "I", "kernel"})
    ->Args({0, 2880, 2880, kAvx2})
    ->Args({1, 2880, 2880, kAvx2})
    ->Args({2, 2880, 2880, kAvx2})
    ->Args({0, 64, 128, kAvx2})
    ->Args({1, 64, 128, kAvx2})
    ->Args({2, 64, 128, kAvx2})
    ->Args({0, 2880, 2880, kPortable})
    ->Args({2, 2880, 2880, kPortable})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GoldenExpertScalar)->Args({0, 64, 128})->Args({2, 64, 128})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace moefab::chips

BENCHMARK_MAIN();
