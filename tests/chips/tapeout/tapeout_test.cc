// chips/tapeout: a hardwired engine gives the ROM engine's bits and cycles (and the golden
// datapath's bits) for every format; the build cache hits, keys on the weights, survives two
// builders of one key; the size limit and build failures give clear ConfigErrors.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "chips/expert_engine.h"
#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "chips/tapeout/build_cache.h"
#include "chips/tapeout/hardwired_generator.h"
#include "chips/tapeout/process.h"
#include "chips/tapeout/tapeout.h"
#include "core/error.h"
#include "core/rng.h"

namespace moefab::chips::tapeout {
namespace {

namespace fs = std::filesystem;

// A fresh cache folder per test, removed afterwards.
class TempCache {
 public:
  TempCache() {
    std::string tmpl = (fs::temp_directory_path() / "moefab-tapeout-test-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempCache() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

EngineConfig Config(std::uint32_t d, std::uint32_t i, std::uint32_t lanes, WeightFormat f,
                    Datapath dp = Datapath::kMac) {
  return EngineConfig{ExpertShape{d, i}, f, lanes, dp, WeightStyle::kHardwired};
}

std::shared_ptr<const ExpertWeights> Weights(const EngineConfig& c, std::uint64_t seed) {
  const Activation act = c.format == WeightFormat::kMxfp4 ? Activation::kSwiGluClamped : Activation::kSwiGlu;
  return std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights(c.shape, c.format, act, seed));
}

struct Job {
  std::vector<std::int8_t> x;
  std::uint8_t e;
  std::uint64_t arrival;
};

std::vector<Job> RandomJobs(std::uint32_t d, std::uint64_t seed, int n) {
  SplitMix64 rng(seed);
  std::vector<Job> jobs;
  std::uint64_t t = 3;
  for (int k = 0; k < n; ++k) {
    Job j;
    std::vector<std::int16_t> h(d);
    MakeRandomHidden(rng.Next(), h);
    j.e = DispatchExponent(h);
    j.x.resize(d);
    QuantizeForDispatch(h, j.e, j.x);
    t += rng.Next() % 3 == 0 ? rng.Next() % 400 : 0;  // bursts and gaps
    j.arrival = t;
    jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<CompletedJob> RunAll(ExpertEngine& engine, const std::vector<Job>& jobs) {
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    engine.Submit(k, jobs[k].x, jobs[k].e, jobs[k].arrival);
  }
  std::vector<CompletedJob> done;
  std::uint64_t horizon = jobs.back().arrival + 1000;
  while (done.size() < jobs.size()) {
    engine.AdvanceTo(horizon, done);
    horizon *= 2;
  }
  return done;
}

void ExpectSameAsRomAndGolden(const EngineConfig& config, const std::string& cache) {
  SCOPED_TRACE(config.ToString());
  BuildOptions o;
  o.cache_dir = cache;
  const auto w = Weights(config, 0x5EED + static_cast<unsigned>(config.format));
  const EngineBuild hw = BuildHardwiredEngine(*w, config, o);
  EXPECT_FALSE(hw.cache_hit);
  EXPECT_TRUE(fs::exists(hw.sv_path));
  EXPECT_GT(hw.rom_bits, 3ull * config.shape.d_model * config.shape.width * 3);
  EngineConfig rom_config = config;
  rom_config.style = WeightStyle::kRom;
  const EngineBuild rom = BuildRomEngine(rom_config, o);
  EXPECT_NE(rom.hash, hw.hash);
  auto hw_engine = LoadEngine(hw, w);
  auto rom_engine = LoadEngine(rom, w);
  const auto jobs = RandomJobs(config.shape.d_model, 77, 24);
  const auto a = RunAll(*hw_engine, jobs);
  const auto b = RunAll(*rom_engine, jobs);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].job_id, b[k].job_id);
    EXPECT_EQ(a[k].start_cycle, b[k].start_cycle) << "job " << k;
    EXPECT_EQ(a[k].done_cycle, b[k].done_cycle) << "job " << k;
    EXPECT_EQ(a[k].y, b[k].y) << "job " << k;
    std::vector<std::int16_t> y(config.shape.d_model);
    GoldenExpertScalar(*w, jobs[a[k].job_id].x, jobs[a[k].job_id].e, y);
    EXPECT_EQ(a[k].y, y) << "job " << k;
  }
  // The hardwired engine never needed its load port; the ROM one spent cycles loading.
  EXPECT_GT(rom_engine->rtl_cycles_simulated(), 0u);
}

TEST(Tapeout, HardwiredInt4MacMatchesRomAndGolden) {
  TempCache cache;
  ExpectSameAsRomAndGolden(Config(16, 32, 8, WeightFormat::kInt4), cache.dir());
}

TEST(Tapeout, HardwiredInt3ProductSelectMatchesRomAndGolden) {
  TempCache cache;
  ExpectSameAsRomAndGolden(Config(24, 40, 8, WeightFormat::kInt3, Datapath::kProductSelect), cache.dir());
}

TEST(Tapeout, HardwiredMxfp4MatchesRomAndGolden) {
  TempCache cache;
  ExpectSameAsRomAndGolden(Config(32, 64, 8, WeightFormat::kMxfp4), cache.dir());
}

// BLOCK_LIBRARY: the generator emits the library entries the weights use and the permutation
// wiring (index words) as constants.
TEST(Tapeout, HardwiredInt3BlockLibraryMatchesRomAndGolden) {
  TempCache cache;
  ExpectSameAsRomAndGolden(Config(24, 40, 8, WeightFormat::kInt3, Datapath::kBlockLibrary), cache.dir());
}

TEST(Tapeout, SecondBuildIsACacheHitAndTwoBuildersBuildOnce) {
  TempCache cache;
  BuildOptions o;
  o.cache_dir = cache.dir();
  o.max_concurrent_builds = 2;
  const EngineConfig c = Config(16, 16, 8, WeightFormat::kInt4);
  const auto w = Weights(c, 3);
  // Two builders of the same key at once: exactly one builds.
  std::vector<EngineBuild> builds(2);
  std::thread t([&] { builds[0] = BuildHardwiredEngine(*w, c, o); });
  builds[1] = BuildHardwiredEngine(*w, c, o);
  t.join();
  EXPECT_EQ(builds[0].hash, builds[1].hash);
  EXPECT_NE(builds[0].cache_hit, builds[1].cache_hit);
  const EngineBuild again = BuildHardwiredEngine(*w, c, o);
  EXPECT_TRUE(again.cache_hit);
  EXPECT_LT(again.request_seconds, 2.0);
  EXPECT_GT(again.verilator_seconds, 0.0);  // of the build that made the folder
  EXPECT_GT(again.peak_rss_bytes, 0u);
  // Only finished folders and the lock folder are left.
  for (const auto& e : fs::directory_iterator(cache.dir())) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == builds[0].hash || name == ".locks") << name;
  }
  // Tapeout of the same expert: all hits.
  const TapeoutReport r = Tapeout({{"layer 0 expert 0", w}, {"layer 0 expert 1", w}}, c, o);
  EXPECT_EQ(r.cache_hits, 2u);
  EXPECT_EQ(r.builds, 0u);
  EXPECT_NE(FormatTapeoutReport(r).find("layer 0 expert 1"), std::string::npos);
  EXPECT_NE(TapeoutReportJson(r).find(builds[0].hash), std::string::npos);
}

TEST(Tapeout, KeyDependsOnWeightsAndParameters) {
  BuildOptions o;
  const EngineConfig c = Config(16, 32, 8, WeightFormat::kInt4);
  const auto w = Weights(c, 11);
  ExpertWeights w2 = *w;
  w2.down.q[5] = static_cast<std::int8_t>(w2.down.q[5] == 7 ? 6 : w2.down.q[5] + 1);
  ExpertWeights w3 = *w;
  w3.act_lut[200] = static_cast<std::int8_t>(w3.act_lut[200] ^ 1);
  const std::string h = HardwiredEngineHash(*w, c, o);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, HardwiredEngineHash(*w, c, o));
  EXPECT_NE(h, HardwiredEngineHash(w2, c, o));
  EXPECT_NE(h, HardwiredEngineHash(w3, c, o));
  EngineConfig c16 = c;
  c16.lanes = 16;
  EXPECT_NE(h, HardwiredEngineHash(*w, c16, o));
  EngineConfig psel = c;
  psel.datapath = Datapath::kProductSelect;
  EXPECT_NE(h, HardwiredEngineHash(*w, psel, o));
  EXPECT_NE(RomEngineHash(c, o), RomEngineHash(psel, o));
  EngineConfig blib = c;
  blib.datapath = Datapath::kBlockLibrary;
  EXPECT_NE(h, HardwiredEngineHash(*w, blib, o));
  // ROM keys do not depend on weights at all.
  EXPECT_EQ(RomEngineHash(c, o), RomEngineHash(c, o));
}

TEST(Tapeout, SizeLimitNamesShapeLimitAndRom) {
  BuildOptions o;
  o.max_hardwired_weights = 3 * 64 * 128;
  const EngineConfig c = Config(64, 256, 8, WeightFormat::kInt4);
  const auto w = Weights(c, 1);
  try {
    BuildHardwiredEngine(*w, c, o, "layer 2 expert 9");
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer 2 expert 9"), std::string::npos) << m;
    EXPECT_NE(m.find("d_model=64 width=256"), std::string::npos) << m;
    EXPECT_NE(m.find("24576"), std::string::npos) << m;  // the limit
    EXPECT_NE(m.find("weight_style: ROM"), std::string::npos) << m;
  }
  EXPECT_THROW(Tapeout({{"a", w}}, c, o), ConfigError);
  // The default limit accepts the demo's and gpt-oss-120b's experts, refuses 8192 x 8192.
  EXPECT_NO_THROW(CheckHardwiredSize(ExpertShape{64, 128}, kDefaultMaxHardwiredWeights, "x"));
  EXPECT_NO_THROW(CheckHardwiredSize(ExpertShape{2880, 2880}, kDefaultMaxHardwiredWeights, "x"));
  EXPECT_THROW(CheckHardwiredSize(ExpertShape{8192, 8192}, kDefaultMaxHardwiredWeights, "x"), ConfigError);
}

TEST(Tapeout, WrongWeightsAndBadConfigsAreConfigErrors) {
  BuildOptions o;
  const auto w = Weights(Config(16, 32, 8, WeightFormat::kInt4), 1);
  EXPECT_THROW(HardwiredEngineHash(*w, Config(16, 40, 8, WeightFormat::kInt4), o), ConfigError);
  EXPECT_THROW(HardwiredEngineHash(*w, Config(16, 32, 8, WeightFormat::kInt3), o), ConfigError);
  EXPECT_THROW(RomEngineHash(Config(16, 32, 12, WeightFormat::kMxfp4), o), ConfigError);
  EXPECT_THROW(RomEngineHash(Config(16, 32, 0, WeightFormat::kInt4), o), ConfigError);
}

TEST(Tapeout, FailedBuildNamesTheStepAndLog) {
  TempCache cache;
  BuildOptions o;
  o.cache_dir = cache.dir();
  o.cxx_opt = "-fno-such-flag-moefab";
  const EngineConfig c = Config(8, 8, 8, WeightFormat::kInt4);
  try {
    BuildHardwiredEngine(*Weights(c, 1), c, o);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("C++ compile failed"), std::string::npos) << m;
    EXPECT_NE(m.find("build.log"), std::string::npos) << m;
    EXPECT_NE(m.find("no-such-flag"), std::string::npos) << m;
  }
  // Nothing half-built is left behind.
  for (const auto& e : fs::directory_iterator(cache.dir())) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == ".locks" || name == ".failed") << name;
  }
}

TEST(TapeoutGenerator, EmitsConstantsInPlaceOfTheLoadedRoms) {
  const EngineConfig c = Config(16, 32, 8, WeightFormat::kMxfp4);
  const auto w = Weights(c, 5);
  const RtlParams p{16, 32, 8, WeightFormat::kMxfp4, 0};
  const RomImage img = BuildRomImage(*w, p);
  ASSERT_EQ(img.arrays.size(), 11u);
  EXPECT_EQ(img.arrays[0].name, "wg_rom");
  EXPECT_EQ(img.arrays[0].words(), 32u * 2);  // I * DG
  EXPECT_EQ(img.arrays[2].words(), 16u * 4);  // D * IG
  EXPECT_EQ(img.arrays[3].name, "lib_rom");   // the block library: one unused word here
  EXPECT_EQ(img.arrays[3].words(), 1u);
  EXPECT_EQ(img.arrays[4].words(), 32u * 2);  // MXFP4 shifts per gate word
  // Block library: index words at the weight words' addresses, the library padded to the bound.
  const RomImage blib = BuildRomImage(*w, RtlParams{16, 32, 8, WeightFormat::kMxfp4, 2});
  EXPECT_EQ(blib.arrays[0].words(), 32u * 2);
  EXPECT_EQ(blib.arrays[0].word_bits, 2u * 21);  // 2 blocks of entry 9 + lanes 8 + signs 4
  EXPECT_EQ(blib.arrays[3].words(), 330u);
  EXPECT_GT(blib.TotalBits(), img.TotalBits());
  const std::string engine =
      "module m;\n  // @moefab-rom-begin\n  logic [7:0] wg_rom[0:3];\n  // @moefab-rom-end\n"
      "  assign y = wg_rom[0];\nendmodule\n";
  const std::string sv = EmitHardwiredEngine(engine, img, SvDialect::kVerilator, "t");
  EXPECT_EQ(sv.find("logic [7:0] wg_rom[0:3];"), std::string::npos);
  EXPECT_NE(sv.find("localparam logic [WW-1:0] wg_rom[0:NGU-1] = '{"), std::string::npos);
  EXPECT_NE(sv.find("assign y = wg_rom[0];"), std::string::npos);
  const std::string ys = EmitHardwiredEngine(engine, img, SvDialect::kYosys, "t");
  EXPECT_NE(ys.find("initial begin"), std::string::npos);
  EXPECT_THROW(EmitHardwiredEngine("module m; endmodule\n", img, SvDialect::kVerilator, "t"), ConfigError);
}

TEST(TapeoutProcess, TimeoutKillsAndPeakMemoryIsMeasured) {
  TempCache cache;
  const std::string log = cache.dir() + "/log";
  const ProcessResult slow = RunCommands({Command{{"sleep", "10"}, ""}}, 1, 0.3, log);
  EXPECT_TRUE(slow.timed_out);
  EXPECT_FALSE(slow.ok());
  EXPECT_LT(slow.wall_seconds, 5.0);
  const ProcessResult fine = RunCommands({Command{{"sh", "-c", "echo hi"}, ""}, Command{{"true"}, ""}}, 2, 10, log);
  EXPECT_TRUE(fine.ok());
  EXPECT_GT(fine.peak_rss_bytes, 0u);
  EXPECT_NE(LogTail(log).find("hi"), std::string::npos);
  const ProcessResult bad = RunCommands({Command{{"false"}, ""}}, 1, 10, log);
  EXPECT_EQ(bad.exit_code, 1);
}

}  // namespace
}  // namespace moefab::chips::tapeout
