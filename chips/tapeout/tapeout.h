// On-demand RTL builds of expert engines: the HARDWIRED style (weights emitted as SystemVerilog
// constants by hardwired_generator.h, one build per expert) and ROM-style configurations that
// are not among the prebuilt Verilated variants (one build per configuration), so any shape
// runs in RTL without a CMake rebuild. Each build is Verilated, compiled into a shared object
// with the RTL adapter (chips/rtl_expert_engine_impl.h) and an extern "C" factory, kept in a
// content-addressed cache (build_cache.h) and dlopen-ed.
// Contract: the host executable exports its symbols (CMake ENABLE_EXPORTS / -rdynamic) and
// links the Verilator runtime (it does whenever at least one prebuilt RTL variant is linked);
// the repo sources and the toolchain recorded at configure time are present at run time.
// Omits: cross-host build farms, cache eviction, unloading (a loaded engine library stays
// mapped until the process exits).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chips/expert_engine.h"
#include "chips/numerics/expert_weights.h"

namespace moefab::chips::tapeout {

/// Largest hardwired expert (3*D*I weights) built by default: 3 x 4096 x 4096 = 50.3M weights.
/// Measured (chips/tapeout/README.md): 2880x2880 (gpt-oss-120b, 24.9M weights) takes ~80 CPU
/// seconds and 2.2 GB peak; time and memory grow about linearly, so the limit is ~3 CPU
/// minutes and ~4.5 GB per build. Covers DeepSeek-V3 (7168x2048, 44M) and gpt-oss experts.
inline constexpr std::uint64_t kDefaultMaxHardwiredWeights = 3ull * 4096 * 4096;

struct BuildOptions {
  std::string cache_dir;               // empty: DefaultCacheDir() ($HOME/.cache/moefab/rtl)
  unsigned jobs = 2;                   // compiler processes per build (-j)
  unsigned max_concurrent_builds = 1;  // builds at once on this host, across processes
  double timeout_seconds = 3600;       // one build (Verilator + C++), 0 = none
  std::uint64_t max_hardwired_weights = kDefaultMaxHardwiredWeights;  // 0 = no limit
  std::string cxx_opt = "-O2";                                        // optimisation flag for the Verilated C++
  /// Tapeout: called after each expert's engine is ready (built or found in the cache), from
  /// the building thread, one call at a time: experts ready so far, of all, and the expert.
  std::function<void(std::size_t done, std::size_t total, const std::string& expert, bool cache_hit)> on_ready;
};

/// One cached engine build (hardwired or on-demand ROM).
struct EngineBuild {
  EngineConfig config;               // the design point (style tells which kind)
  std::string hash;                  // 64 hex digits: the cache key
  std::string dir;                   // <cache>/<hash>
  std::string sv_path;               // the SystemVerilog that was Verilated
  std::string library_path;          // engine.so
  bool cache_hit = false;            // found in the cache: no Verilator run in this request
  double request_seconds = 0;        // wall time of this request (generation + lookup + build)
  double verilator_seconds = 0;      // of the build that made the folder
  double cxx_seconds = 0;            // of the build that made the folder (compile + link)
  double cpu_seconds = 0;            // user + system CPU of that build (all processes)
  std::uint64_t peak_rss_bytes = 0;  // largest process of that build (verilator or g++)
  std::uint64_t rom_bits = 0;        // hardwired: constant bits emitted (weights, exps, channels)
};

/// Generates, Verilates and compiles (or finds in the cache) the hardwired engine of one
/// expert. `config.style` is ignored (treated as kHardwired). ConfigError: invalid weights,
/// weights not matching the config, an expert above BuildOptions::max_hardwired_weights, a
/// failed or timed-out build (with the log path and its tail). `what` names the expert.
EngineBuild BuildHardwiredEngine(const ExpertWeights& w, const EngineConfig& config, const BuildOptions& options,
                                 const std::string& what = "expert");

/// The cache keys, without building: SHA-256 of the generator version, the toolchain and
/// adapter headers, the parameters and the Verilated SV text (for a hardwired engine that text
/// holds every ROM word, so any weight change changes the key; for ROM it is the engine source).
std::string HardwiredEngineHash(const ExpertWeights& w, const EngineConfig& config, const BuildOptions& options);
std::string RomEngineHash(const EngineConfig& config, const BuildOptions& options);

/// The ROM-style engine of `config` (style ignored, treated as kRom), built on demand.
EngineBuild BuildRomEngine(const EngineConfig& config, const BuildOptions& options);

/// Loads a build's library (once per process) and constructs an engine of it. For a ROM
/// build the weights go in through the load port; for a hardwired build they must be the
/// weights it was generated from (the caller's duty; the golden check would catch a mix-up).
std::unique_ptr<ExpertEngine> LoadEngine(const EngineBuild& build, std::shared_ptr<const ExpertWeights> w);

/// BuildHardwiredEngine + LoadEngine.
std::unique_ptr<ExpertEngine> MakeHardwiredExpertEngine(std::shared_ptr<const ExpertWeights> w,
                                                        const EngineConfig& config, const BuildOptions& options,
                                                        const std::string& what = "expert");

/// Any configuration in RTL: kHardwired -> MakeHardwiredExpertEngine; kRom -> the prebuilt
/// variant when linked (MakeRtlExpertEngine), else BuildRomEngine + LoadEngine.
std::unique_ptr<ExpertEngine> MakeAnyRtlExpertEngine(std::shared_ptr<const ExpertWeights> w, const EngineConfig& config,
                                                     const BuildOptions& options, const std::string& what = "expert");

/// One expert of a tapeout.
struct TapeoutExpert {
  std::string name;                              // e.g. "layer 3 expert 7"
  std::shared_ptr<const ExpertWeights> weights;  // its weights
};

struct TapeoutEntry {
  std::string name;
  EngineBuild build;
};

struct TapeoutReport {
  EngineConfig config;                // the common design point (style kHardwired)
  std::string cache_dir;              // where the builds are
  std::vector<TapeoutEntry> experts;  // in input order
  unsigned cache_hits = 0;
  unsigned builds = 0;      // experts built in this call
  double wall_seconds = 0;  // the whole call
};

/// The hardwired chips of a config: checks every expert's size and weights first (one
/// ConfigError listing all failures before any build), then builds each expert (cache hits
/// are free), running up to options.max_concurrent_builds builds at once.
TapeoutReport Tapeout(const std::vector<TapeoutExpert>& experts, const EngineConfig& config,
                      const BuildOptions& options);

/// A fixed-width table of the report (one row per expert), for the `moefab tapeout` command.
std::string FormatTapeoutReport(const TapeoutReport& r);
/// The same as JSON (one object; experts as an array).
std::string TapeoutReportJson(const TapeoutReport& r);

/// The engine source the builds use (read from the repo at run time).
std::string EngineSourcePath();

}  // namespace moefab::chips::tapeout
