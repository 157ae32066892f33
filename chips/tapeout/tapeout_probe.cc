// moefab_tapeout_probe: builds one hardwired (or on-demand ROM) engine of synthetic weights
// and prints the build's time and peak memory, then runs a few jobs through it and checks
// them against the golden datapath. Used to
// measure the hardwired size limit (chips/tapeout/README.md).
//   moefab_tapeout_probe D I LANES int4|int3|mxfp4 mac|psel [hardwired|rom] [cache_dir] [-O2]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "chips/numerics/golden_expert.h"
#include "chips/numerics/quantize.h"
#include "chips/tapeout/tapeout.h"
#include "core/rng.h"

int main(int argc, char** argv) {
  using namespace moefab::chips;
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: %s D I LANES int4|int3|mxfp4 mac|psel [hardwired|rom] "
                 "[cache_dir] [cxx_opt]\n",
                 argv[0]);
    return 2;
  }
  try {
    EngineConfig c;
    c.shape =
        ExpertShape{static_cast<std::uint32_t>(std::atoi(argv[1])), static_cast<std::uint32_t>(std::atoi(argv[2]))};
    c.lanes = static_cast<std::uint32_t>(std::atoi(argv[3]));
    const std::string f = argv[4];
    c.format = f == "int3" ? WeightFormat::kInt3 : (f == "mxfp4" ? WeightFormat::kMxfp4 : WeightFormat::kInt4);
    c.datapath = std::string(argv[5]) == "psel" ? Datapath::kProductSelect : Datapath::kMac;
    const bool hardwired = argc < 7 || std::string(argv[6]) != "rom";
    c.style = hardwired ? WeightStyle::kHardwired : WeightStyle::kRom;
    tapeout::BuildOptions o;
    if (argc >= 8) o.cache_dir = argv[7];
    if (argc >= 9) o.cxx_opt = argv[8];
    o.max_hardwired_weights = 0;  // the probe measures beyond the limit
    const auto w =
        std::make_shared<const ExpertWeights>(MakeSyntheticExpertWeights(c.shape, c.format, Activation::kSwiGlu, 1));
    const tapeout::EngineBuild b = hardwired ? tapeout::BuildHardwiredEngine(*w, c, o) : tapeout::BuildRomEngine(c, o);
    std::printf(
        "%s hit=%d request_s=%.1f verilator_s=%.1f cxx_s=%.1f cpu_s=%.1f peak_MiB=%llu "
        "rom_bits=%llu sv_MB=%.1f\n  %s\n",
        c.ToString().c_str(), b.cache_hit ? 1 : 0, b.request_seconds, b.verilator_seconds, b.cxx_seconds, b.cpu_seconds,
        static_cast<unsigned long long>(b.peak_rss_bytes >> 20), static_cast<unsigned long long>(b.rom_bits),
        double(std::filesystem::file_size(b.sv_path)) / 1e6, b.dir.c_str());
    // Load it and check a few jobs against the golden datapath (bits) and the closed form
    // (cycles); prints the simulation speed.
    auto engine = tapeout::LoadEngine(b, w);
    moefab::SplitMix64 rng(9);
    const std::uint32_t d = c.shape.d_model;
    const int jobs = 4;
    std::vector<std::vector<std::int8_t>> xs(jobs, std::vector<std::int8_t>(d));
    for (auto& x : xs) {
      for (auto& v : x) v = static_cast<std::int8_t>(rng.Uniform(-127, 127));
    }
    for (int k = 0; k < jobs; ++k) engine->Submit(k, xs[k], static_cast<std::uint8_t>(k), 10);
    std::vector<CompletedJob> done;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t h = 1000; done.size() < jobs; h *= 2) engine->AdvanceTo(h, done);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int bad = 0;
    for (const CompletedJob& j : done) {
      std::vector<std::int16_t> y(d);
      GoldenExpertScalar(*w, xs[j.job_id], static_cast<std::uint8_t>(j.job_id), y);
      bad += y != j.y;
    }
    const PipelineModel pm = ClosedFormPipeline(c);
    std::printf(
        "  ran %d jobs: %d mismatches vs golden; latency %llu (closed form %llu); "
        "%.0f RTL cycles/s\n",
        jobs, bad, static_cast<unsigned long long>(done[0].done_cycle - done[0].start_cycle),
        static_cast<unsigned long long>(pm.latency.value), double(engine->rtl_cycles_simulated()) / s);
    return bad == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
