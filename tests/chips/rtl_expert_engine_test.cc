// The Verilated expert_engine against the golden datapath of chips/numerics (bit for bit over
// random raw weights of every format, both activations' settings, e = 0..9 and extreme
// inputs), its timing against the closed forms, MAC vs product-select builds, the pipeline
// model (MakeModelExpertEngine + MeasurePipeline) against the RTL for random arrival patterns,
// idle skipping, and the factories' errors. Runs over every linked build.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "chips/deferred_rtl_engine.h"
#include "chips/expert_engine.h"
#include "chips/numerics/golden_expert.h"
#include "core/error.h"
#include "core/rng.h"

namespace moefab::chips {
namespace {

std::string TestName(const testing::TestParamInfo<EngineConfig>& info) {
  std::string s = info.param.ToString();
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

// Random raw weights over the legal ranges of NUMERICS.md, with requant constants chosen so
// that most outputs land inside the int8 / int16 ranges (and some saturate).
ExpertWeights RandomWeights(ExpertShape shape, WeightFormat format, std::uint64_t seed) {
  SplitMix64 rng(MixSeed(seed, 0xC41F5));
  const bool mx = format == WeightFormat::kMxfp4;
  ExpertWeights w;
  w.shape = shape;
  w.format = format;
  w.activation = (seed % 2) ? Activation::kSwiGlu : Activation::kSwiGluClamped;
  // log2 of the typical |acc| per unit input: sqrt(K) * weight std * (64 for MXFP4's guard
  // bits, times up to 2^2 for far blocks ignored).
  auto matrix = [&](std::uint32_t rows, std::uint32_t cols, int base_shift, bool gate_up) {
    QuantMatrix m;
    m.rows = rows;
    m.cols = cols;
    m.q.resize(std::size_t{rows} * cols);
    for (auto& q : m.q) {
      if (format == WeightFormat::kInt4) q = static_cast<std::int8_t>(rng.Uniform(-8, 7));
      if (format == WeightFormat::kInt3) q = static_cast<std::int8_t>(rng.Uniform(-4, 3));
      if (mx) q = static_cast<std::int8_t>(rng.Uniform(0, 15));
    }
    if (mx) {
      const std::uint32_t nb = (cols + kMxBlock - 1) / kMxBlock;
      m.block_exp.resize(std::size_t{rows} * nb);
      for (std::uint32_t r = 0; r < rows; ++r) {
        const int mode = static_cast<int>(rng.Uniform(0, 3));
        const int base = static_cast<int>(rng.Uniform(90, 160));
        for (std::uint32_t b = 0; b < nb; ++b) {
          int ex = base;
          if (mode == 1) ex = base - static_cast<int>(rng.Uniform(0, 8));   // close
          if (mode == 2) ex = base - static_cast<int>(rng.Uniform(0, 40));  // far apart
          if (mode == 3) ex = static_cast<int>(rng.Uniform(0, 254));        // anything
          m.block_exp[std::size_t{r} * nb + b] = static_cast<std::uint8_t>(std::clamp(ex, 0, 254));
        }
      }
    }
    m.mult.resize(rows);
    m.shift.resize(rows);
    for (std::uint32_t r = 0; r < rows; ++r) {
      m.mult[r] = static_cast<std::int32_t>(rng.Uniform(0, 7) == 0 ? rng.Uniform(0, (1 << 24) - 1)
                                                                   : rng.Uniform(1 << 22, (1 << 24) - 1));
      const int lo = gate_up ? kMinGateUpShift : kMinDownShift;
      const int s = base_shift + static_cast<int>(rng.Uniform(-2, 3));
      m.shift[r] = static_cast<std::uint8_t>(
          std::clamp(rng.Uniform(0, 15) == 0 ? static_cast<int>(rng.Uniform(lo, 62)) : s, lo, 62));
    }
    const int bias_mode = static_cast<int>(rng.Uniform(0, 3));
    if (bias_mode > 0) {
      m.bias.resize(rows);
      for (auto& b : m.bias) {
        b = static_cast<std::int32_t>(bias_mode == 3 && rng.Uniform(0, 3) == 0
                                          ? rng.Uniform(INT32_MIN, INT32_MAX)
                                          : rng.Uniform(-(1 << 14), 1 << 14) * (mx ? 64 : 1));
      }
    }
    return m;
  };
  const int guard = mx ? 6 : 0;
  auto log2i = [](double v) { return static_cast<int>(std::log2(v)); };
  // gate/up: acc ~ sqrt(D) * 5 * 40 * 2^guard; times mult ~2^23; want ~2^5 at e ~ 4.
  const int gu_shift = log2i(std::sqrt(shape.d_model) * 200.0) + guard + 23 - 5 + 4;
  // down: acc ~ sqrt(I) * 5 * 30 * 2^guard; want y ~ 2^10.
  const int dn_shift = log2i(std::sqrt(shape.width) * 150.0) + guard + 23 - 10;
  w.gate = matrix(shape.width, shape.d_model, gu_shift, true);
  w.up = matrix(shape.width, shape.d_model, gu_shift, true);
  w.down = matrix(shape.d_model, shape.width, dn_shift, false);
  for (auto& a : w.act_lut) a = static_cast<std::int8_t>(rng.Uniform(-128, 127));
  if (w.activation == Activation::kSwiGlu) {
    w.u_clamp = 128;
    w.u_offset = 0;
  } else {
    w.u_clamp = static_cast<std::int16_t>(rng.Uniform(0, 128));
    w.u_offset = static_cast<std::int16_t>(rng.Uniform(-128, 128));
  }
  w.mult_prod = static_cast<std::int32_t>(rng.Uniform(1 << 22, (1 << 24) - 1));
  w.shift_prod = static_cast<std::uint8_t>(rng.Uniform(0, 9) == 0 ? rng.Uniform(1, 62) : rng.Uniform(26, 30));
  ValidateExpertWeights(w, "RandomWeights");
  return w;
}

struct TestJob {
  std::vector<std::int8_t> x;
  std::uint8_t e;
};

std::vector<TestJob> Jobs(std::uint32_t d, std::uint64_t seed, int n_random) {
  std::vector<TestJob> jobs;
  jobs.push_back({std::vector<std::int8_t>(d, -128), 9});
  jobs.push_back({std::vector<std::int8_t>(d, 127), 0});
  jobs.push_back({std::vector<std::int8_t>(d, 0), 5});
  std::vector<std::int8_t> alt(d);
  for (std::uint32_t j = 0; j < d; ++j) alt[j] = (j % 2) ? std::int8_t{127} : std::int8_t{-128};
  jobs.push_back({alt, 3});
  SplitMix64 rng(seed);
  for (int t = 0; t < n_random; ++t) {
    std::vector<std::int8_t> x(d);
    const std::int64_t span = (t % 3 == 0) ? 128 : 60;
    for (auto& v : x) {
      v = static_cast<std::int8_t>(std::clamp<std::int64_t>(rng.Uniform(-span, span), -128, 127));
    }
    jobs.push_back({std::move(x), static_cast<std::uint8_t>(t % 10)});
  }
  return jobs;
}

std::vector<std::int16_t> Golden(const ExpertWeights& w, const TestJob& j) {
  std::vector<std::int16_t> y(w.shape.d_model);
  GoldenExpertScalar(w, j.x, j.e, y);
  return y;
}

// Runs until no job completes within one job's closed-form latency (a large shape's first job
// may take longer than any fixed step).
void RunAll(ExpertEngine& eng, std::vector<CompletedJob>& done) {
  const std::uint64_t step = std::max<std::uint64_t>(100000, 2 * ClosedFormPipeline(eng.config()).latency.value);
  while (true) {
    const std::size_t before = done.size();
    eng.AdvanceTo(eng.now_cycle() + step, done);
    if (done.size() == before) break;
  }
}

class RtlBuildTest : public testing::TestWithParam<EngineConfig> {};

// Bits equal GoldenExpertScalar over random raw weights, e = 0..9 and extreme inputs; jobs run
// back to back (overlapped in the pipeline) and each takes exactly the closed-form latency.
TEST_P(RtlBuildTest, MatchesGoldenBitForBit) {
  const EngineConfig c = GetParam();
  const PipelineModel closed = ClosedFormPipeline(c);
  int saturated = 0;
  int interior = 0;
  const int seeds = c.lanes >= 64 ? 6 : 10;
  for (int seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("build " + c.ToString() + " seed " + std::to_string(seed));
    auto w = std::make_shared<const ExpertWeights>(RandomWeights(c.shape, c.format, seed));
    auto rtl = MakeRtlExpertEngine(w, c);
    ASSERT_EQ(rtl->config(), c);
    const std::vector<TestJob> jobs = Jobs(c.shape.d_model, MixSeed(seed, 1), 12);
    const std::uint64_t t0 = rtl->now_cycle() + static_cast<std::uint64_t>(seed);
    for (std::size_t k = 0; k < jobs.size(); ++k) rtl->Submit(k, jobs[k].x, jobs[k].e, t0);
    std::vector<CompletedJob> done;
    RunAll(*rtl, done);
    ASSERT_EQ(done.size(), jobs.size());
    for (std::size_t k = 0; k < jobs.size(); ++k) {
      ASSERT_EQ(done[k].job_id, k);
      ASSERT_EQ(done[k].start_cycle, t0 + k * closed.initiation_interval.value) << "job " << k;
      ASSERT_EQ(done[k].done_cycle - done[k].start_cycle, closed.latency.value) << "job " << k;
      const std::vector<std::int16_t> want = Golden(*w, jobs[k]);
      ASSERT_EQ(done[k].y, want) << "job " << k << " e " << int{jobs[k].e};
      std::vector<std::int16_t> fast(c.shape.d_model);
      GoldenExpert(*w, jobs[k].x, jobs[k].e, fast);
      ASSERT_EQ(fast, want) << "fast golden vs scalar, job " << k;
      for (const std::int16_t v : done[k].y) {
        saturated += (v == 32767 || v == -32768);
        interior += (v != 32767 && v != -32768 && v != 0);
      }
    }
  }
  EXPECT_GT(saturated, 0) << "the cases should exercise saturation";
  EXPECT_GT(interior, 2 * saturated) << "most outputs should be in range";
}

// Everything at the extremes: largest codes, largest multipliers, smallest shifts.
TEST_P(RtlBuildTest, MatchesGoldenWhenEverythingSaturates) {
  const EngineConfig c = GetParam();
  ExpertWeights w = RandomWeights(c.shape, c.format, 77);
  const std::int8_t hi = c.format == WeightFormat::kInt3 ? 3 : 7;
  const std::int8_t lo = c.format == WeightFormat::kInt3 ? -4 : (c.format == WeightFormat::kInt4 ? -8 : 15);
  for (QuantMatrix* m : {&w.gate, &w.up, &w.down}) {
    for (std::size_t k = 0; k < m->q.size(); ++k) m->q[k] = (k % 3) ? lo : hi;
    std::fill(m->mult.begin(), m->mult.end(), (1 << 24) - 1);
    std::fill(m->block_exp.begin(), m->block_exp.end(), std::uint8_t{200});
    m->bias.assign(m->rows, INT32_MAX);
  }
  std::fill(w.gate.shift.begin(), w.gate.shift.end(), kMinGateUpShift);
  std::fill(w.up.shift.begin(), w.up.shift.end(), kMaxRequantShift);
  std::fill(w.down.shift.begin(), w.down.shift.end(), kMinDownShift);
  w.mult_prod = (1 << 24) - 1;
  w.shift_prod = 1;
  auto shared = std::make_shared<const ExpertWeights>(std::move(w));
  auto rtl = MakeRtlExpertEngine(shared, c);
  const std::vector<TestJob> jobs = Jobs(c.shape.d_model, 5, 4);
  for (std::size_t k = 0; k < jobs.size(); ++k) rtl->Submit(k, jobs[k].x, jobs[k].e, rtl->now_cycle());
  std::vector<CompletedJob> done;
  RunAll(*rtl, done);
  ASSERT_EQ(done.size(), jobs.size());
  for (std::size_t k = 0; k < jobs.size(); ++k) EXPECT_EQ(done[k].y, Golden(*shared, jobs[k])) << k;
}

// A lone job takes L; two arriving together start II apart; both equal the closed forms, and
// MeasurePipeline reports the same.
TEST_P(RtlBuildTest, TimingEqualsClosedForm) {
  const EngineConfig c = GetParam();
  const PipelineModel closed = ClosedFormPipeline(c);
  auto w = std::make_shared<const ExpertWeights>(RandomWeights(c.shape, c.format, 3));
  auto rtl = MakeRtlExpertEngine(w, c);
  const std::vector<std::int8_t> x(c.shape.d_model, 3);
  std::vector<CompletedJob> done;
  const std::uint64_t a = rtl->now_cycle() + 10;
  rtl->Submit(1, x, 2, a);
  rtl->AdvanceTo(a + closed.latency.value - 1, done);
  EXPECT_TRUE(done.empty()) << "done one cycle early";
  rtl->AdvanceTo(a + closed.latency.value, done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].start_cycle, a);
  EXPECT_EQ(done[0].done_cycle, a + closed.latency.value);
  const std::uint64_t b = rtl->now_cycle() + 3;
  rtl->Submit(2, x, 2, b);
  rtl->Submit(3, x, 2, b);
  RunAll(*rtl, done);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[1].start_cycle, b);
  EXPECT_EQ(done[2].start_cycle, b + closed.initiation_interval.value);
  EXPECT_EQ(done[2].done_cycle, done[2].start_cycle + closed.latency.value);
  EXPECT_EQ(MeasurePipeline(c), closed);
}

// Random arrival patterns (bursts, gaps, back to back, idle stretches) with interleaved
// Submit / AdvanceTo: the RTL and the model engine (MeasurePipeline timing, golden bits)
// report the same jobs at the same calls with the same start, done and y.
TEST_P(RtlBuildTest, PipelineModelMatchesRtlForRandomArrivals) {
  const EngineConfig c = GetParam();
  const PipelineModel p = MeasurePipeline(c);
  const std::uint64_t ii = p.initiation_interval.value;
  const std::uint64_t lat = p.latency.value;
  for (int seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto w = std::make_shared<const ExpertWeights>(RandomWeights(c.shape, c.format, 100 + seed));
    auto rtl = MakeRtlExpertEngine(w, c);
    auto model = MakeModelExpertEngine(w, c, p);
    // Both engines at the same now (the RTL's construction ran reset and loading off the books).
    std::vector<CompletedJob> done_rtl, done_model;
    model->AdvanceTo(rtl->now_cycle() - 1, done_model);
    ASSERT_EQ(model->now_cycle(), rtl->now_cycle());
    SplitMix64 rng(MixSeed(seed, 2024));
    std::uint64_t arrival = rtl->now_cycle();
    const std::vector<TestJob> xs = Jobs(c.shape.d_model, MixSeed(seed, 7), 6);
    for (std::uint64_t id = 0; id < 24; ++id) {
      switch (rng.Uniform(0, 5)) {
        case 0:
          break;  // burst: same cycle
        case 1:
          arrival += 1;
          break;  // back to back
        case 2:
          arrival += static_cast<std::uint64_t>(rng.Uniform(1, 2 * ii));
          break;
        case 3:
          arrival += ii + static_cast<std::uint64_t>(rng.Uniform(-1, 1));
          break;
        case 4:
          arrival += lat + static_cast<std::uint64_t>(rng.Uniform(0, 5 * lat));
          break;  // idle
        default:
          arrival += 100 * lat;
          break;  // long idle stretch
      }
      arrival = std::max(arrival, rtl->now_cycle());
      const TestJob& j = xs[id % xs.size()];
      rtl->Submit(id, j.x, j.e, arrival);
      model->Submit(id, j.x, j.e, arrival);
      if (rng.Uniform(0, 2) == 0) {  // advance to a random point, sometimes past the arrival
        const std::uint64_t to = rtl->now_cycle() + static_cast<std::uint64_t>(rng.Uniform(0, 3 * lat));
        rtl->AdvanceTo(to, done_rtl);
        model->AdvanceTo(to, done_model);
        ASSERT_EQ(done_rtl.size(), done_model.size()) << "after AdvanceTo(" << to << ")";
        ASSERT_EQ(rtl->now_cycle(), model->now_cycle());
      }
    }
    const std::uint64_t end = arrival + 30 * lat;
    rtl->AdvanceTo(end, done_rtl);
    model->AdvanceTo(end, done_model);
    ASSERT_EQ(done_rtl.size(), 24u);
    ASSERT_EQ(done_model.size(), 24u);
    for (std::size_t k = 0; k < done_rtl.size(); ++k) {
      EXPECT_EQ(done_rtl[k].job_id, done_model[k].job_id) << k;
      EXPECT_EQ(done_rtl[k].start_cycle, done_model[k].start_cycle) << k;
      EXPECT_EQ(done_rtl[k].done_cycle, done_model[k].done_cycle) << k;
      EXPECT_EQ(done_rtl[k].y, done_model[k].y) << k;
    }
  }
}

// AdvanceTo over idle spans (nothing in flight, nothing due) does not evaluate the RTL.
// The deferred RTL slot (timing from the pipeline model, values from an RTL engine that runs
// behind, ahead in the background by up to an II, and on demand) gives the eager RTL slot's
// starts, ends and bits for random arrivals, background runs and value requests.
TEST_P(RtlBuildTest, DeferredRtlMatchesEagerRtl) {
  const EngineConfig c = GetParam();
  const PipelineModel p = MeasurePipeline(c);
  const std::uint64_t ii = p.initiation_interval.value;
  const std::uint64_t lat = p.latency.value;
  for (int seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto w = std::make_shared<const ExpertWeights>(RandomWeights(c.shape, c.format, 200 + seed));
    auto eager = MakeRtlExpertEngine(w, c);
    DeferredRtlEngine deferred(MakeRtlExpertEngine(w, c), p);
    std::vector<CompletedJob> done_eager, done_deferred;
    deferred.AdvanceTo(eager->now_cycle() - 1, done_deferred);
    ASSERT_EQ(deferred.now_cycle(), eager->now_cycle());
    SplitMix64 rng(MixSeed(seed, 77));
    std::uint64_t arrival = eager->now_cycle();
    std::size_t taken = 0;  // completions whose values were asked for, in completion order
    const auto take_some = [&] {
      while (taken < done_deferred.size() && rng.Uniform(0, 2) != 0) {
        EXPECT_TRUE(done_deferred[taken].y.empty());
        done_deferred[taken].y = deferred.TakeValues(done_deferred[taken].job_id);
        ++taken;
      }
    };
    const std::vector<TestJob> xs = Jobs(c.shape.d_model, MixSeed(seed, 8), 6);
    for (std::uint64_t id = 0; id < 24; ++id) {
      switch (rng.Uniform(0, 4)) {
        case 0:
          break;
        case 1:
          arrival += 1;
          break;
        case 2:
          arrival += static_cast<std::uint64_t>(rng.Uniform(1, 2 * ii));
          break;
        case 3:
          arrival += ii;
          break;
        default:
          arrival += lat + static_cast<std::uint64_t>(rng.Uniform(0, 3 * lat));
          break;
      }
      arrival = std::max(arrival, eager->now_cycle());
      const TestJob& j = xs[id % xs.size()];
      eager->Submit(id, j.x, j.e, arrival);
      deferred.Submit(id, j.x, j.e, arrival);
      // Background work: every job arriving before `arrival` is in, the next arrives later.
      while (rng.Uniform(0, 1) == 0 && deferred.RunAhead(arrival, static_cast<std::uint64_t>(rng.Uniform(1, ii)))) {
      }
      if (rng.Uniform(0, 2) == 0) {
        const std::uint64_t to = eager->now_cycle() + static_cast<std::uint64_t>(rng.Uniform(0, 3 * lat));
        eager->AdvanceTo(to, done_eager);
        deferred.AdvanceTo(to, done_deferred);
        ASSERT_EQ(done_eager.size(), done_deferred.size()) << "after AdvanceTo(" << to << ")";
        ASSERT_EQ(eager->now_cycle(), deferred.now_cycle());
        arrival = std::max(arrival, eager->now_cycle());
        take_some();
      }
    }
    const std::uint64_t end = arrival + 30 * lat;
    eager->AdvanceTo(end, done_eager);
    deferred.AdvanceTo(end, done_deferred);
    ASSERT_EQ(done_eager.size(), 24u);
    ASSERT_EQ(done_deferred.size(), 24u);
    for (; taken < done_deferred.size(); ++taken)
      done_deferred[taken].y = deferred.TakeValues(done_deferred[taken].job_id);
    EXPECT_FALSE(deferred.behind());
    for (std::size_t k = 0; k < done_eager.size(); ++k) {
      EXPECT_EQ(done_eager[k].job_id, done_deferred[k].job_id) << k;
      EXPECT_EQ(done_eager[k].start_cycle, done_deferred[k].start_cycle) << k;
      EXPECT_EQ(done_eager[k].done_cycle, done_deferred[k].done_cycle) << k;
      EXPECT_EQ(done_eager[k].y, done_deferred[k].y) << k;
    }
    EXPECT_EQ(deferred.rtl_cycles_simulated(), eager->rtl_cycles_simulated());
  }
}

TEST_P(RtlBuildTest, IdleSpansAreSkipped) {
  const EngineConfig c = GetParam();
  const PipelineModel p = ClosedFormPipeline(c);
  auto w = std::make_shared<const ExpertWeights>(RandomWeights(c.shape, c.format, 9));
  auto rtl = MakeRtlExpertEngine(w, c);
  std::vector<CompletedJob> done;
  const std::uint64_t c0 = rtl->rtl_cycles_simulated();
  rtl->AdvanceTo(rtl->now_cycle() + 1000000000ull, done);
  EXPECT_EQ(rtl->rtl_cycles_simulated(), c0);
  // A job far in the future: only its own cycles are evaluated.
  const std::vector<std::int8_t> x(c.shape.d_model, -7);
  const std::uint64_t a = rtl->now_cycle() + 5000000000ull;
  rtl->Submit(42, x, 1, a);
  rtl->AdvanceTo(a + 2 * p.latency.value, done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].start_cycle, a);
  EXPECT_EQ(done[0].done_cycle, a + p.latency.value);
  EXPECT_EQ(rtl->rtl_cycles_simulated() - c0, p.latency.value + 1);
  EXPECT_EQ(rtl->now_cycle(), a + 2 * p.latency.value + 1);
}

INSTANTIATE_TEST_SUITE_P(AllBuilds, RtlBuildTest, testing::ValuesIn(AvailableRtlBuilds()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RtlBuildTest);

// A MAC build and a build of another datapath of the same shape, format and lanes give the same
// bits in the same cycles; counts the pairs linked in `pairs`.
void ExpectDatapathsAgree(Datapath other, int& pairs) {
  pairs = 0;
  for (const EngineConfig& mac : AvailableRtlBuilds()) {
    if (mac.datapath != Datapath::kMac) continue;
    EngineConfig psel = mac;
    psel.datapath = other;
    const auto builds = AvailableRtlBuilds();
    if (std::find(builds.begin(), builds.end(), psel) == builds.end()) continue;
    ++pairs;
    SCOPED_TRACE(mac.ToString() + " vs " + psel.ToString());
    for (int seed = 1; seed <= 4; ++seed) {
      auto w = std::make_shared<const ExpertWeights>(RandomWeights(mac.shape, mac.format, 300 + seed));
      auto a = MakeRtlExpertEngine(w, mac);
      auto b = MakeRtlExpertEngine(w, psel);
      ASSERT_EQ(a->now_cycle(), b->now_cycle());  // jobs start at the same cycle
      const std::vector<TestJob> jobs = Jobs(mac.shape.d_model, MixSeed(seed, 3), 8);
      for (std::size_t k = 0; k < jobs.size(); ++k) {
        const std::uint64_t at = a->now_cycle() + 7 * k * k;
        a->Submit(k, jobs[k].x, jobs[k].e, at);
        b->Submit(k, jobs[k].x, jobs[k].e, at);
      }
      std::vector<CompletedJob> da, db;
      RunAll(*a, da);
      RunAll(*b, db);
      ASSERT_EQ(da.size(), jobs.size());
      ASSERT_EQ(db.size(), jobs.size());
      for (std::size_t k = 0; k < jobs.size(); ++k) {
        EXPECT_EQ(da[k].y, db[k].y) << k;
        EXPECT_EQ(da[k].start_cycle, db[k].start_cycle) << k;
        EXPECT_EQ(da[k].done_cycle, db[k].done_cycle) << k;
      }
      // The block library loads its library words too: more cycles before the first job.
      if (other == Datapath::kProductSelect) {
        EXPECT_EQ(a->rtl_cycles_simulated(), b->rtl_cycles_simulated());
      }
    }
  }
}

// The default MOEFAB_RTL_BUILDS links such pairs; a build list without any is a test setup error.
TEST(RtlDatapaths, MacAndProductSelectAgree) {
  int pairs = 0;
  ExpectDatapathsAgree(Datapath::kProductSelect, pairs);
  EXPECT_GT(pairs, 0) << "no MAC / product-select pair among the linked builds";
}

TEST(RtlDatapaths, MacAndBlockLibraryAgree) {
  int pairs = 0;
  ExpectDatapathsAgree(Datapath::kBlockLibrary, pairs);
  EXPECT_GE(pairs, 3) << "expected INT4, INT3, MXFP4 MAC / block-library pairs";
}

TEST(RtlFactories, BadArgumentsGiveConfigErrorNamingConfigAndBuilds) {
  const auto builds = AvailableRtlBuilds();
  ASSERT_FALSE(builds.empty());
  const EngineConfig good = builds.front();
  auto w = std::make_shared<const ExpertWeights>(RandomWeights(good.shape, good.format, 1));
  auto expect_error = [&](auto&& fn, const std::vector<std::string>& parts) {
    try {
      fn();
      ADD_FAILURE() << "no ConfigError";
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      for (const std::string& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  EngineConfig missing = good;
  missing.lanes = 3;
  expect_error([&] { MakeRtlExpertEngine(w, missing); },
               {missing.ToString(), "available builds", good.ToString(), "MOEFAB_RTL_BUILDS"});
  expect_error([&] { MeasurePipeline(missing); }, {missing.ToString(), good.ToString()});
  EngineConfig hardwired = good;
  hardwired.style = WeightStyle::kHardwired;
  expect_error([&] { MakeRtlExpertEngine(w, hardwired); }, {hardwired.ToString(), "hardwired", good.ToString()});
  expect_error([&] { MakeRtlExpertEngine(nullptr, good); }, {good.ToString(), "null"});
  ExpertWeights other = RandomWeights(ExpertShape{good.shape.d_model + 1, good.shape.width}, good.format, 1);
  expect_error([&] { MakeRtlExpertEngine(std::make_shared<const ExpertWeights>(other), good); },
               {good.ToString(), "shape"});
  ExpertWeights bad = *w;
  bad.gate.mult[0] = -1;
  expect_error([&] { MakeRtlExpertEngine(std::make_shared<const ExpertWeights>(bad), good); },
               {good.ToString(), "gate.mult[0]"});
  expect_error(
      [&] {
        MakeModelExpertEngine(w, good, PipelineModel{Cycles(0), Cycles(1)});
      },
      {good.ToString(), "latency"});
  EngineConfig zero = good;
  zero.lanes = 0;
  expect_error([&] { ClosedFormPipeline(zero); }, {zero.ToString()});
  EXPECT_EQ(EngineConfig({ExpertShape{64, 128}, WeightFormat::kInt4, 8, Datapath::kMac, WeightStyle::kRom}).ToString(),
            "64x128x8-int4-mac-rom");
  EXPECT_EQ(
      EngineConfig({ExpertShape{40, 72}, WeightFormat::kMxfp4, 16, Datapath::kProductSelect, WeightStyle::kHardwired})
          .ToString(),
      "40x72x16-mxfp4-psel-hardwired");
}

TEST(RtlFactories, ClosedFormValues) {
  const EngineConfig c{ExpertShape{64, 128}, WeightFormat::kInt4, 8, Datapath::kMac, WeightStyle::kRom};
  // DG = 8, IG = 16: L = 128*8 + 64*16 + 4, II = 1024.
  EXPECT_EQ(ClosedFormPipeline(c), (PipelineModel{Cycles(2052), Cycles(1024)}));
  const EngineConfig d{ExpertShape{40, 72}, WeightFormat::kInt4, 16, Datapath::kMac, WeightStyle::kRom};
  // DG = 3, IG = 5: L = 216 + 200 + 4, II = 216.
  EXPECT_EQ(ClosedFormPipeline(d), (PipelineModel{Cycles(420), Cycles(216)}));
}

}  // namespace
}  // namespace moefab::chips
